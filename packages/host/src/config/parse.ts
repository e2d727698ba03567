/**
 * YAML files → validated, defaulted resources, one document at a time. Each problem carries the file, the
 * document, the line, `Kind/name` and the field path. Cross-resource rules (references, duplicates) are
 * in rules.ts, which runs on what this returns.
 */
import type { Type } from 'arktype';
import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import { CONFIG_FILE_MAX_BYTES, NotReadableError, readRegularFile } from '../regular-file.js';
import { check } from '../validation.js';
import { type ConfigIssue, issueAt, type Located, type Origin } from './issues.js';
import { type AnyResource, ResourceHeader, type ResourceKind, resourceKinds } from './schemas.js';
import { documentValue } from './yaml-value.js';

export interface ParsedFile {
  resources: Located<AnyResource>[];
  issues: ConfigIssue[];
  /** `Kind/name` of documents that failed validation: references to them are not reported again. */
  rejected: string[];
}

export function parseConfigFile(file: string): ParsedFile {
  let text: string;
  try {
    text = readRegularFile(file, CONFIG_FILE_MAX_BYTES).text;
  } catch (err) {
    const reason = err instanceof NotReadableError ? err.reason : (err as Error).message;
    return {
      resources: [],
      issues: [{ file, path: '', message: `cannot read config file: ${reason}` }],
      rejected: [],
    };
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const out: ParsedFile = { resources: [], issues: [], rejected: [] };
  if (!Array.isArray(docs)) return out; // an empty file: nothing to load, which is fine
  docs.forEach((doc, index) => {
    const origin: Origin = { file, document: index + 1, lineOf: (p) => lineOf(doc, lineCounter, p) };
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = lineCounter.linePos(e.pos[0]).line;
        out.issues.push({ file, document: index + 1, line, path: '', message: `YAML syntax: ${e.message}` });
      }
      return;
    }
    // A lone `---` at the end of a file, or a document of only comments, is not a resource.
    if (doc.contents === null) return;
    const value = documentValue(doc, lineCounter);
    if (!value.ok) {
      out.issues.push({ file, document: index + 1, line: value.line, path: '', message: value.message });
      return;
    }
    const resource = validateResource(value.value, origin, out);
    if (resource) out.resources.push({ resource, origin });
  });
  return out;
}

function validateResource(value: unknown, origin: Origin, out: ParsedFile): AnyResource | undefined {
  const { issues } = out;
  const header = check(ResourceHeader, value);
  if (!header.ok) {
    issues.push(
      issueAt(
        origin,
        undefined,
        '',
        'is not a resource: expected a mapping with apiVersion, kind, metadata.name and spec',
      ),
    );
    return undefined;
  }
  const { kind, apiVersion } = header.value;
  const name = typeof header.value.metadata?.name === 'string' ? header.value.metadata.name : '(unnamed)';
  const id = `${kind}/${name}`;
  const known = resourceKinds[kind as ResourceKind];
  if (!known) {
    const kinds = Object.keys(resourceKinds).join(', ');
    issues.push(
      issueAt(origin, id, '/kind', `is not a known kind: expected one of ${kinds} (was "${kind}")`),
    );
    return undefined;
  }
  if (apiVersion !== known.apiVersion) {
    issues.push(
      issueAt(
        origin,
        id,
        '/apiVersion',
        `must be ${known.apiVersion} for kind ${kind} (was "${apiVersion}")`,
      ),
    );
    return undefined;
  }
  const result = check(known.schema as unknown as Type<AnyResource>, value);
  if (!result.ok) {
    for (const i of result.issues) issues.push(issueAt(origin, id, i.path, i.message));
    out.rejected.push(id);
    return undefined;
  }
  return result.value;
}

/** The line of the node at `pointer`, or of its nearest ancestor that exists (a missing field's parent). */
function lineOf(doc: Document, lineCounter: LineCounter, pointer: string): number | undefined {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}
