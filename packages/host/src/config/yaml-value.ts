/**
 * A parsed YAML document → its plain value, with alias errors as positioned messages. The yaml library
 * resolves aliases only in toJS() and throws a bare ReferenceError there (no position); uncaught, that
 * error ended the daemon on SIGHUP and printed a stack trace from `check`.
 */
import { type Document, isAlias, type LineCounter, type Node, visit } from 'yaml';

/** Alias expansions allowed per document: far more than a hand-written config needs, far less than a bomb. */
export const MAX_ALIAS_COUNT = 100;

export type DocumentValue = { ok: true; value: unknown } | { ok: false; line?: number; message: string };

export function documentValue(doc: Document, lineCounter: LineCounter): DocumentValue {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (err) {
    return { ok: false, ...explain(doc, lineCounter, err as Error) };
  }
}

function explain(doc: Document, lineCounter: LineCounter, err: Error): { line?: number; message: string } {
  const aliases: Node[] = [];
  visit(doc, {
    Alias: (_key, node) => {
      aliases.push(node);
    },
  });
  const lineOf = (node: Node | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  // resolve() without a context only looks the anchor up: it neither counts nor throws.
  const unresolved = aliases.find((a) => isAlias(a) && a.resolve(doc) === undefined);
  if (unresolved && isAlias(unresolved)) {
    return {
      line: lineOf(unresolved),
      message: `YAML alias *${unresolved.source} refers to no anchor &${unresolved.source} defined before it in this document: define the anchor above the alias, or fix the alias's name`,
    };
  }
  if (/alias count/i.test(err.message)) {
    return {
      line: lineOf(aliases[0]),
      message: `YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (aliases of aliases multiply): write the values out, or use fewer aliases`,
    };
  }
  return { line: lineOf(aliases[0]), message: `YAML: ${err.message}` };
}
