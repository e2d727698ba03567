import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The child-process tests run dist/main.js: build it from the current sources first. */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(fileURLToPath(new URL('../node_modules/.bin/tsup', import.meta.url)), [], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
