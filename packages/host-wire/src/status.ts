import { Name } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { lazyType } from './lazy-type.js';

/** GET /v1/status */
export const StatusResponse = lazyType(() =>
  type({
    version: 'string',
    pid: 'number',
    startedAt: 'string',
    groups: type({ name: Name, nodeName: Name }).array(),
    uptimeSeconds: 'number',
    config: {
      files: 'string[]',
      generation: 'number',
      loadedAt: 'string',
      /** The last SIGHUP: applied, or refused with its problems (the generation in force stayed). */
      'lastReload?': { at: 'string', result: "'applied' | 'refused'", problems: 'string[]' },
      /** Config files whose content differs from the config in force (edited and not reloaded, or refused). */
      changedOnDisk: 'string[]',
    },
    events: { stored: 'number' },
  }),
);
export type StatusResponse = typeof StatusResponse.infer;
