import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Golden files are pretty JSON with a final newline, so a diff of a regenerated file reads well. */
export function goldenText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The committed golden text for `file` and the text `value` gives now; compare them byte for byte.
 * With UPDATE_GOLDEN=1 in the environment the file is (re)written first, so both are equal.
 */
export function readGolden(file: string, value: unknown): { expected: string; actual: string } {
  const actual = goldenText(value);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  let expected: string;
  try {
    expected = readFileSync(file, 'utf8');
  } catch {
    expected = `(no golden file ${file}: regenerate with UPDATE_GOLDEN=1)`;
  }
  return { expected, actual };
}
