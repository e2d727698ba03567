import { fileURLToPath } from 'node:url';
import { build, type Options } from 'tsup';
import config from '../tsup.config.js';

/**
 * The child-process tests run dist/main.js: build it from the current sources first. JavaScript only —
 * declarations are not needed to run, and building them reads the SDK's .d.ts files, which another
 * package's build may be rewriting at that moment.
 */
export default async function setup(): Promise<void> {
  const here = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
  const options = config as Options;
  // Absolute paths: the build must not depend on the directory vitest was started from.
  const entry = Object.fromEntries(
    Object.entries(options.entry as Record<string, string>).map(([k, v]) => [k, here(v)]),
  );
  await build({
    ...options,
    entry,
    outDir: here('dist'),
    dts: false,
    config: false,
    silent: true,
    clean: false,
    tsconfig: here('tsconfig.json'),
  });
}
