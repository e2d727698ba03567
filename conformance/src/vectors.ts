import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  API_VERSION_PLUGIN,
  type Capability,
  checkPluginResult,
  ErrorCodes,
  formatIssues,
  isArkErrors,
  type PluginResult,
} from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { TESTED_CAPABILITIES } from './catalogue.js';

/**
 * Golden vectors: data files `v1/<capability>/<name>.json`, usable by a plugin in any language. The
 * request is deep-merged over a valid base request (fresh metadata, `now`, a deadline), so vectors only
 * say what matters; `null` removes a key, and strings `$now`, `$now+300s`, `$now-5s` are times relative
 * to the run, so vectors do not age.
 */
export const VectorExpectation = type({ '+': 'reject', resultSchema: 'true' })
  .or({ '+': 'reject', resultSubset: 'Record<string, unknown>' })
  .or({ '+': 'reject', errorCode: 'number.integer' })
  .or({
    '+': 'reject',
    diagnostic: { '+': 'reject', severity: "'error' | 'warning' | 'info'", 'pathPrefix?': 'string' },
  });
export type VectorExpectation = typeof VectorExpectation.infer;

export const Vector = type({
  '+': 'reject',
  '$schema?': 'string',
  description: 'string > 0',
  capability: type.enumerated(...TESTED_CAPABILITIES),
  request: type('Record<string, unknown>').describe(
    'a PluginRequest or part of one, deep-merged over a valid base request; null removes a key; "$now", "$now+300s", "$now-5s" are times relative to the run',
  ),
  expect: VectorExpectation.describe(
    'exactly one of {resultSchema: true}, {resultSubset: {...}}, {errorCode: N}, {diagnostic: {severity, pathPrefix?}}',
  ),
});
export type Vector = typeof Vector.infer;

export interface LoadedVector extends Vector {
  /** `<capability>/<name>` relative to its vectors directory. */
  name: string;
  file: string;
}

export const BUILTIN_VECTORS_DIR = fileURLToPath(new URL('../vectors/v1/', import.meta.url));

/** Every vector under `dir` (recursively). Throws with the file name when one does not fit the schema. */
export function loadVectors(dir: string): LoadedVector[] {
  if (!existsSync(dir)) throw new Error(`vectors directory ${dir} does not exist`);
  const out: LoadedVector[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.json') && !entry.endsWith('.schema.json')) {
        const r = Vector(JSON.parse(readFileSync(path, 'utf8')));
        if (isArkErrors(r)) throw new Error(`invalid vector ${path}: ${r.summary}`);
        out.push({ ...r, name: relative(dir, path).replace(/\.json$/, ''), file: path });
      }
    }
  };
  walk(dir);
  return out;
}

export function vectorsFor(vectors: LoadedVector[], capability: Capability): LoadedVector[] {
  return vectors.filter((v) => v.capability === capability);
}

const RELATIVE_TIME = /^\$now(?:([+-])(\d+)(ms|s|m|h))?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function resolveTimes(value: unknown, now: number): unknown {
  if (typeof value === 'string') {
    const m = RELATIVE_TIME.exec(value);
    if (!m) return value;
    const offset = m[1] ? (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3] as keyof typeof UNIT_MS] : 0;
    return new Date(now + offset).toISOString();
  }
  if (Array.isArray(value)) return value.map((v) => resolveTimes(v, now));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTimes(v, now)]));
  }
  return value;
}

function merge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A valid PluginRequest with fresh metadata; `deadlineMs` from now. */
export function baseRequest(deadlineMs: number, now = Date.now()): Record<string, unknown> {
  const id = randomUUID();
  return {
    apiVersion: API_VERSION_PLUGIN,
    kind: 'PluginRequest',
    metadata: { name: `conformance-${id.slice(0, 8)}`, requestId: id },
    spec: {
      trigger: { type: 'manual' },
      events: [],
      now: new Date(now).toISOString(),
      deadline: new Date(now + deadlineMs).toISOString(),
    },
  };
}

/** The request a vector describes, ready to send. */
export function materialize(vector: Pick<Vector, 'request'>, deadlineMs: number): Record<string, unknown> {
  const now = Date.now();
  return merge(baseRequest(deadlineMs, now), resolveTimes(vector.request, now)) as Record<string, unknown>;
}

/** Does `actual` contain `subset`? Objects by key, arrays element-wise in any order (extra elements allowed). */
export function containsSubset(actual: unknown, subset: unknown): boolean {
  if (Array.isArray(subset)) {
    return Array.isArray(actual) && subset.every((s) => actual.some((a) => containsSubset(a, s)));
  }
  if (isPlainObject(subset)) {
    return isPlainObject(actual) && Object.entries(subset).every(([k, v]) => containsSubset(actual[k], v));
  }
  return Object.is(actual, subset);
}

export type Answer = { result: unknown } | { error: { code?: unknown; message?: unknown; data?: unknown } };

/** Why an answer misses a vector's expectation, and the requirement that makes it wrong (when one does). */
export interface VectorProblem {
  text: string;
  /** R-W1 a result that does not validate, R-W2 a request that does not fit not refused, R-W3 a domain problem not reported as a diagnostic; absent for a vector's own expectation (`resultSubset`). */
  requirement?: 'R-W1' | 'R-W2' | 'R-W3';
}

/** Judge one answer against a vector's expectation; returns the problem, or undefined when it holds. */
export function judge(expect: VectorExpectation, answer: Answer): VectorProblem | undefined {
  if ('errorCode' in expect) {
    const requirement = expect.errorCode === ErrorCodes.InvalidParams ? 'R-W2' : undefined;
    const got =
      'error' in answer
        ? answer.error.code === expect.errorCode
          ? undefined
          : `got error ${String(answer.error.code)}`
        : 'got a result';
    return got ? { text: `expected error ${expect.errorCode}, ${got}`, requirement } : undefined;
  }
  if ('error' in answer) {
    return {
      text: `expected a result, got error ${String(answer.error.code)} "${String(answer.error.message ?? '')}" (domain problems belong in status.diagnostics)`,
      requirement: 'R-W3',
    };
  }
  const checked = checkPluginResult(answer.result);
  if (!checked.ok)
    return { text: `the result does not validate: ${formatIssues(checked.issues)}`, requirement: 'R-W1' };
  if ('resultSubset' in expect && !containsSubset(answer.result, expect.resultSubset)) {
    return { text: `the result does not contain ${JSON.stringify(expect.resultSubset)}` };
  }
  if ('diagnostic' in expect) {
    const want = expect.diagnostic;
    const diagnostics: NonNullable<PluginResult['status']['diagnostics']> =
      checked.value.status.diagnostics ?? [];
    const hit = diagnostics.some(
      (d) =>
        d.severity === want.severity &&
        (want.pathPrefix === undefined || (d.path ?? '').startsWith(want.pathPrefix)),
    );
    if (!hit) {
      return {
        text: `expected a ${want.severity} diagnostic${want.pathPrefix ? ` with a path under ${want.pathPrefix}` : ''}, got ${JSON.stringify(diagnostics)}`,
        requirement: 'R-W3',
      };
    }
  }
  return undefined;
}
