/**
 * How the daemon's process is set up for the memory of a router (issue 18: idle and after a million events,
 * bounded): called first by the bin entry, which imports the rest only afterwards, and `settleHeap` once
 * the daemon has started. A program that embeds @routerd/host as a library keeps its own settings.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { withFetchGlobalsUnloaded } from './fetch-globals.js';

/** After a full collection, V8 lets the old generation grow this much (%) before the next one. */
export const HEAP_GROWING_PERCENT = 25;

/** V8's own --semi-space-growth-factor, restored once the daemon has started when a bound is set. */
const V8_SEMI_SPACE_GROWTH = 2;

export async function tuneDaemonProcess(): Promise<void> {
  // Start-up keeps most of what it allocates, so V8 grows the young generation to its 2 × 16 MB maximum
  // and never shrinks it for an idle process: ~28 MB. Without growth it stays at its start size; the
  // daemon's requests are small. (Flags V8 reads at each resize, so they take effect at run time.)
  setFlagsFromString('--semi-space-growth-factor=1');
  // V8 sizes its first old-generation limit from the machine's memory, not the program's: on a server it
  // let garbage reach ~250 MB over a million events before collecting. Once settleHeap has set the limit
  // from what is live, it grows by this much, whatever the machine.
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  // Start-up runs code once (module bodies, schema construction) hot enough for TurboFan, whose compiled
  // code and compiler memory an idle daemon then keeps: ~2 MB. Optimising resumes once it has started.
  setFlagsFromString('--no-opt');
  // Loaded here, before anything else imports it: arktype reads its configuration at its first import.
  await withFetchGlobalsUnloaded(async () => {
    // arktype compiles each schema to JavaScript source and keeps it (and V8 keeps it again): ~20 MB for
    // the config and control-API schemas, most of which a router checks once. Interpreted, they hold none;
    // the checks on the busy paths (plugin protocol, event envelope) are the SDK's precompiled gates.
    const { configure } = await import('arktype/config');
    configure({ jitless: true });
    await import('arktype');
  });
}

/** Whether the process was started with a maximum young-generation size (a node flag). */
export function youngGenerationBounded(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): boolean {
  const flag = /^--max[-_]semi[-_]space[-_]size(=|$)/;
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => flag.test(a));
}

/**
 * Once the daemon has started: TurboFan optimises hot code again (the request paths, from here on), and
 * one full collection removes start-up's garbage and sets V8's next limit from the live heap (see
 * HEAP_GROWING_PERCENT) instead of its machine-sized first guess. Node has no API for a collection;
 * `--expose-gc` set at run time gives the collector's function to a new context only.
 */
export function settleHeap(): void {
  setFlagsFromString('--opt');
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  // Bounded by the operator (`--max-semi-space-size`, as deploy/'s service files start it), the young
  // generation may grow under load up to that bound: a 500-event batch then survives fewer scavenges
  // (each copies it) and is promoted less (about a fifth of the daemon's CPU per event at the 1 MiB start
  // size, issue 18). Unbounded, V8's limit is a server's 16 MiB: it stays at its start size.
  if (youngGenerationBounded()) setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH}`);
}
