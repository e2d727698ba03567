export { default } from '@routerd/plugin-sdk/build/plugin-tsup';
