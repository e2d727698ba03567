// Reads what a README tells a user to do, so a test can do exactly that and the README cannot drift from
// what works: marked's lexer finds the code blocks and links.
import { Lexer } from 'marked';

/** The tokens under a heading, up to the next heading of the same or a higher level. */
export function section(markdown, heading) {
  const tokens = Lexer.lex(markdown);
  const start = tokens.findIndex((t) => t.type === 'heading' && t.text === heading);
  if (start < 0) throw new Error(`the README has no heading "${heading}"`);
  const depth = /** @type {any} */ (tokens[start]).depth;
  const end = tokens.findIndex(
    (t, i) => i > start && t.type === 'heading' && /** @type {any} */ (t).depth <= depth,
  );
  return tokens.slice(start + 1, end < 0 ? undefined : end);
}

/** The code block right after a paragraph that is exactly `` `name`: `` — how the README introduces a file. */
export function fileBlock(tokens, name) {
  const at = tokens.findIndex((t) => t.type === 'paragraph' && t.text.trim() === `\`${name}\`:`);
  const block = tokens.slice(at + 1).find((t) => t.type !== 'space');
  if (at < 0 || block?.type !== 'code')
    throw new Error(`the README has no code block introduced by \`${name}\`:`);
  return `${/** @type {any} */ (block).text}\n`;
}

/** Every shell command of the section's `sh` blocks, comments cut, one per line. */
export function shellCommands(tokens) {
  return tokens
    .filter((t) => t.type === 'code' && /** @type {any} */ (t).lang === 'sh')
    .flatMap((t) => /** @type {any} */ (t).text.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

/** The argument lists of every `npm i` / `npm install` among the commands (`&&` chains split). */
export function npmInstalls(commands) {
  return commands
    .flatMap((c) => c.split('&&').map((s) => s.trim()))
    .map((c) => c.split(/\s+/))
    .filter(([npm, verb]) => npm === 'npm' && (verb === 'i' || verb === 'install'))
    .map(([, , ...args]) => args);
}

/** Every link target in a markdown document. */
export function links(markdown) {
  const found = [];
  const walk = (tokens) => {
    for (const t of tokens ?? []) {
      const any = /** @type {any} */ (t);
      if (t.type === 'link' || t.type === 'image') found.push(any.href);
      walk(any.tokens);
      if (any.items) walk(any.items);
      if (any.rows) for (const row of any.rows) for (const cell of row) walk(cell.tokens);
      if (any.header) for (const cell of any.header) walk(cell.tokens);
    }
  };
  walk(Lexer.lex(markdown));
  return found;
}
