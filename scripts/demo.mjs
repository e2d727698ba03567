#!/usr/bin/env node
// The two-node demo lands with the quick-start issue; until then this says so instead of pretending.
console.log('routerd federation demo: not yet — the two-daemon demo arrives with the quick-start issue.');
console.log(
  'Meanwhile: `npx -y pnpm@12.4.2 test` runs the test suite, and docs/protocol.md describes the plugin protocol.',
);
