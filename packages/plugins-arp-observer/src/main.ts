// The executable routerd-eventd spawns. It runs on the router for as long as the daemon does, so it sets
// its process up for a small memory first (issue 18) and imports the plugin, which loads arktype, after.
import { settleHeap, tuneProcess } from '@routerd/plugin-sdk/process';

// Interpreted, arktype keeps no generated source for the config schemas, checked once: −10 MiB idle. The
// per-row check of a neighbour dump, the one busy schema, showed no CPU difference (one-off A/B with
// bench/arp-observer.bench.mjs, 2026-12-03).
await tuneProcess({ arktypeJitless: true });
const { serveStdio } = await import('@routerd/plugin-sdk/server');
const { createArpObserverPlugin } = await import('./plugin.js');

// Once armed and its first observations are answered, start-up's garbage (module bodies, the config
// schemas, the first snapshot) is collected: idle, the observer allocates too little for V8 to do it.
serveStdio(createArpObserverPlugin({ onStarted: settleHeap }));
