import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Golden files are pretty JSON with a final newline, so a diff of a regenerated file reads well. */
export function goldenText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The committed golden text for `file` and the text `value` gives now; compare them byte for byte.
 * The committed file is re-serialised first, so a formatter that reflows JSON (biome) changes nothing;
 * key order and every value still count. With UPDATE_GOLDEN=1 the file is (re)written first.
 */
export function readGolden(file: string, value: unknown): { expected: string; actual: string } {
  const actual = goldenText(value);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  let expected: string;
  try {
    const text = readFileSync(file, 'utf8');
    try {
      expected = goldenText(JSON.parse(text));
    } catch {
      expected = text;
    }
  } catch {
    expected = `(no golden file ${file}: regenerate with UPDATE_GOLDEN=1)`;
  }
  return { expected, actual };
}
