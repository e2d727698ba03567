/** Kept equal to package.json's version by a test; reported to hosts in the initialize result. */
export const SDK_NAME = '@routerd/plugin-sdk';
export const SDK_VERSION = '0.1.0';
