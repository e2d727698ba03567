/**
 * How a long-lived process on a router keeps its memory small (issue 18): routerd-eventd and plugin
 * executables call `tuneProcess` first, before importing anything else, and `settleHeap` once they have
 * started. A library embedding this package keeps its own settings: nothing here runs on import.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { withFetchGlobalsUnloaded } from './fetch-globals.js';

/** After a full collection, V8 lets the old generation grow this much (%) before the next one. */
export const HEAP_GROWING_PERCENT = 25;

/** V8's own --semi-space-growth-factor, restored once the process has started when a bound is set. */
const V8_SEMI_SPACE_GROWTH = 2;

export interface TuneProcessOptions {
  /**
   * arktype interprets its schemas instead of compiling each to JavaScript (which it and V8 both keep:
   * ~20 MB for the daemon's config and control-API schemas, ~10 MB for the ARP observer's, most of them
   * checked once). An interpreted check is slower: measure a schema on a busy path before turning it on.
   */
  arktypeJitless?: boolean;
}

/**
 * Sets V8 up for a small process and loads arktype without Node's fetch implementation. Call it before
 * the program's other modules are imported (a bin entry that imports them afterwards with `import()`):
 * arktype reads its configuration and the fetch globals at its first import.
 */
export async function tuneProcess(options: TuneProcessOptions = {}): Promise<void> {
  // Start-up keeps most of what it allocates, so V8 grows the young generation to its 2 × 16 MB maximum
  // and never shrinks it for an idle process: ~28 MB. Without growth it stays at its start size.
  // (Flags V8 reads at each resize, so they take effect at run time.)
  setFlagsFromString('--semi-space-growth-factor=1');
  // V8 sizes its first old-generation limit from the machine's memory, not the program's: on a server it
  // let garbage reach ~250 MB over a million events before collecting. Once settleHeap has set the limit
  // from what is live, it grows by this much, whatever the machine.
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  // Start-up runs code once (module bodies, schema construction) hot enough for TurboFan, whose compiled
  // code and compiler memory an idle process then keeps: ~2 MB. Optimising resumes in settleHeap.
  setFlagsFromString('--no-opt');
  await withFetchGlobalsUnloaded(async () => {
    try {
      const { configure } = await import('arktype/config');
      if (options.arktypeJitless) configure({ jitless: true });
      await import('arktype');
    } catch (err) {
      // A program without arktype (a plugin that only speaks the protocol) has nothing to load here.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
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
 * Once the process has started: TurboFan optimises hot code again (the busy paths, from here on), and
 * one full collection removes start-up's garbage and sets V8's next limit from the live heap (see
 * HEAP_GROWING_PERCENT) instead of its machine-sized first guess. An idle process allocates too little
 * for V8 to collect on its own, so without this it keeps start-up's garbage for ever. Node has no API
 * for a collection; `--expose-gc` set at run time gives the collector's function to a new context only.
 */
export function settleHeap(): void {
  setFlagsFromString('--opt');
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  // Bounded by the operator (`--max-semi-space-size`, as deploy/'s service files start the daemon), the
  // young generation may grow under load up to that bound: a 500-event batch then survives fewer
  // scavenges (each copies it) and is promoted less. Unbounded, V8's limit is a server's 16 MiB: it stays
  // at its start size.
  if (youngGenerationBounded()) setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH}`);
}
