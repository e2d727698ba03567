// Process set-up for a small router (issue 18): for bin entries, before they import the rest of their program.
export * from './fetch-globals.js';
export * from './tuning.js';
