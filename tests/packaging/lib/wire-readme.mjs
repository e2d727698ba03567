// @routerd/host-wire's README "Example", as a user follows it: its install line, example.mjs verbatim, and the
// output it says example.mjs prints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileBlock, npmInstalls, section, shellCommands } from './readme.mjs';
import { repoRoot } from './workspace.mjs';

export function wireReadme() {
  const readme = readFileSync(join(repoRoot, 'packages/host-wire/README.md'), 'utf8');
  const tokens = section(readme, 'Example');
  return {
    installs: npmInstalls(shellCommands(tokens)),
    example: fileBlock(tokens, 'example.mjs'),
    /** The `text` block after "`node example.mjs` prints:". */
    output: outputBlock(tokens),
  };
}

function outputBlock(tokens) {
  const at = tokens.findIndex(
    (t) => t.type === 'paragraph' && t.text.trim() === '`node example.mjs` prints:',
  );
  const block = tokens.slice(at + 1).find((t) => t.type !== 'space');
  if (at < 0 || block?.type !== 'code') throw new Error('the README says nothing of what example.mjs prints');
  return `${/** @type {any} */ (block).text}\n`;
}
