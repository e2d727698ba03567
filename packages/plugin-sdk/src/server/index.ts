export * from './define-plugin.js';
export * from './logger.js';
export * from './plugin-config.js';
export * from './serve.js';
