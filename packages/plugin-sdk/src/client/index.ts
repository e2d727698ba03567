export * from './errors.js';
export * from './host-session.js';
export * from './plugin-process.js';
export * from './process-group.js';
export * from './stderr-tail.js';
export * from './supervisor.js';
