export * from './executor.js';
export * from './policy.js';
export { redactCredentials } from './redact.js';
