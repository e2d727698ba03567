// The folder map of packages/host/README.md is the one the layer check enforces (scripts/host-folders.cjs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Lexer, type Tokens } from 'marked';
import { expect, it } from 'vitest';
import { repoRoot } from './depcruise.js';

const { HOST_FOLDERS } = createRequire(import.meta.url)(join(repoRoot, 'scripts/host-folders.cjs')) as {
  HOST_FOLDERS: Record<string, string[]>;
};

/** The README's table with a "may import" column: folder → what it may import (`any` is `*`, `—` none). */
function readmeMap(): Record<string, string[]> {
  const tokens = Lexer.lex(readFileSync(join(repoRoot, 'packages/host/README.md'), 'utf8'));
  const table = tokens.find(
    (t): t is Tokens.Table =>
      t.type === 'table' && (t as Tokens.Table).header.some((h) => h.text === 'may import'),
  );
  if (!table) throw new Error('packages/host/README.md has no table with a "may import" column');
  const column = table.header.findIndex((h) => h.text === 'may import');
  const folderOf = (text: string) => text.replace(/[`/]/g, '');
  return Object.fromEntries(
    table.rows.map((row) => {
      const folder = folderOf(row[0]!.text);
      const cell = row[column]!.text.trim();
      if (cell === 'any') return [folder, ['*']];
      if (cell === '—') return [folder, []];
      return [folder, (cell.match(/`[^`]+`/g) ?? []).map(folderOf)];
    }),
  );
}

it('lists every folder of the map, each with exactly what the check lets it import', () => {
  const sorted = (map: Record<string, string[]>) =>
    Object.fromEntries(
      Object.entries(map)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, [...v].sort()]),
    );
  expect(sorted(readmeMap())).toEqual(sorted(HOST_FOLDERS));
});
