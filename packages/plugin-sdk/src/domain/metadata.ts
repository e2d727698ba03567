import type { Type } from 'arktype';
import { isArkErrors } from '../protocol/ark-errors.js';
import type { Diagnostic } from '../protocol/schemas/common.js';

export interface MetadataServiceOptions {
  /** e.g. `http://169.254.169.254`; tests point it at a fake server on 127.0.0.1. */
  baseUrl: string;
  timeoutMs: number;
  /** A name for diagnostics, e.g. "AWS IMDSv2". */
  service: string;
  /** Aborted when the run is cancelled or its deadline passes. */
  signal?: AbortSignal;
}

export interface MetadataRequest {
  path: string;
  method?: 'GET' | 'PUT';
  headers?: Record<string, string>;
}

export type MetadataAnswer =
  | { ok: true; status: number; text: string }
  | { ok: false; diagnostic: Diagnostic };

/** The detail every metadata diagnostic ends with: the way around a metadata service that cannot help. */
const BYPASS = 'give the router identity in config.identity to skip metadata discovery';

function problem(opts: MetadataServiceOptions, req: MetadataRequest, summary: string, detail: string) {
  return {
    ok: false as const,
    diagnostic: {
      severity: 'error' as const,
      summary: `${opts.service} ${req.method ?? 'GET'} ${req.path}: ${summary}`,
      detail: `${detail}; metadata base URL ${opts.baseUrl}; ${BYPASS}`,
    },
  };
}

/**
 * One metadata request that never throws: timeouts, refusals, unreachable services and cancellation all
 * come back as a diagnostic, because a missing identity is a domain problem (R-W3), not a crash.
 */
export async function fetchMetadata(
  opts: MetadataServiceOptions,
  req: MetadataRequest,
): Promise<MetadataAnswer> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const url = new URL(req.path, opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
  try {
    const res = await fetch(url, { method: req.method ?? 'GET', headers: req.headers ?? {}, signal });
    const text = await res.text();
    if (res.status === 401 || res.status === 403) {
      return problem(
        opts,
        req,
        `refused (HTTP ${res.status})`,
        'the metadata service did not accept the request headers or token',
      );
    }
    if (!res.ok) return problem(opts, req, `answered HTTP ${res.status}`, text.slice(0, 200) || 'empty body');
    return { ok: true, status: res.status, text };
  } catch (err) {
    if (timeout.aborted) {
      return problem(
        opts,
        req,
        `no answer within ${opts.timeoutMs}ms`,
        'the metadata service is slow or filtered (in containers, check the IMDS hop limit)',
      );
    }
    if (opts.signal?.aborted)
      return problem(opts, req, 'cancelled', 'the run was cancelled or passed its deadline');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return problem(opts, req, 'unreachable', cause?.code ?? cause?.message ?? (err as Error).message);
  }
}

/** Thrown by MetadataClient so discovery code reads straight through; carries the diagnostic. */
export class MetadataProblem extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.summary);
  }
}

/** Straight-line metadata access for a provider's discovery: each call returns the answer or throws MetadataProblem. */
export class MetadataClient {
  constructor(readonly options: MetadataServiceOptions) {}

  async text(path: string, init: Omit<MetadataRequest, 'path'> = {}): Promise<string> {
    const answer = await fetchMetadata(this.options, { ...init, path });
    if (!answer.ok) throw new MetadataProblem(answer.diagnostic);
    return answer.text.trim();
  }

  /** A text answer that must match `pattern` (an ENI id, a CIDR…). */
  async textMatching(
    path: string,
    pattern: RegExp,
    init: Omit<MetadataRequest, 'path'> = {},
  ): Promise<string> {
    const text = await this.text(path, init);
    if (!pattern.test(text))
      throw this.malformed(path, init, `expected ${pattern}, got ${JSON.stringify(text.slice(0, 80))}`);
    return text;
  }

  /** A JSON answer checked against `schema`; anything else is a malformed-answer diagnostic. */
  async json<T>(path: string, schema: Type<T>, init: Omit<MetadataRequest, 'path'> = {}): Promise<T> {
    const text = await this.text(path, init);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.malformed(path, init, `not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
    const out = schema(body);
    if (isArkErrors(out)) throw this.malformed(path, init, out.summary);
    return out as T;
  }

  /** A diagnostic for an answer that arrived but does not say what it must. */
  malformed(path: string, init: Omit<MetadataRequest, 'path'>, detail: string): MetadataProblem {
    const method = init.method ?? 'GET';
    return new MetadataProblem({
      severity: 'error',
      summary: `${this.options.service} ${method} ${path}: malformed answer`,
      detail: `${detail}; metadata base URL ${this.options.baseUrl}; ${BYPASS}`,
    });
  }
}
