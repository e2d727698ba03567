/**
 * How the daemon's process is set up for the memory of a router (issue 18: idle and after a million events,
 * bounded): the bin entry calls tuneDaemonProcess first and imports the rest only afterwards, and main
 * calls settleHeap once the daemon has started. The tuning itself is the SDK's, shared with plugin bins.
 */
import { tuneProcess } from '@routerd/plugin-sdk/process';

export { settleHeap } from '@routerd/plugin-sdk/process';

/**
 * The SDK's tuning, with arktype interpreting its schemas: the daemon builds many (config kinds, control
 * API) and checks most of them rarely; its busy paths (plugin protocol, event envelope) use the SDK's
 * precompiled gates, not arktype.
 */
export const tuneDaemonProcess = (): Promise<void> => tuneProcess({ arktypeJitless: true });
