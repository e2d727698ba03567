export * from './define-plugin.js';
export * from './logger.js';
export * from './serve.js';
