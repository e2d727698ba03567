import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ErrorCodes, Methods } from '@routerd/plugin-sdk';
import { baseRequest } from '../vectors.js';
import {
  describe,
  errorCode,
  isResponse,
  type JsonObject,
  type PluginSession,
  type Response,
} from '../wire/plugin-session.js';
import { initializeOrNotTestable } from './lifecycle.js';
import { type CheckContext, type CheckImpl, fail, pass } from './types.js';

/** Codes that mean "I could not read your message": any other answer shows the plugin read it whole. */
const UNREADABLE = new Set<number>([ErrorCodes.ParseError, ErrorCodes.InvalidRequest]);
/** The transport checks only need an answer; whether a ping answers exactly {} is lifecycle.ping's business. */
const isResult = (r: { result?: unknown; error?: unknown }) => r.error === undefined && 'result' in r;

/** A run request whose answer (result or error) proves the message was read; used by the framing checks. */
async function readProof(s: PluginSession, request: JsonObject, what: string) {
  const r = await s.request(Methods.run, request);
  const code = errorCode(r);
  return code !== undefined && UNREADABLE.has(code) ? `refused ${what}: ${describe(r)}` : undefined;
}

const stdoutOnlyProtocol: CheckImpl = {
  id: 'transport.stdout-only-protocol',
  derived: true,
  needsHandshake: false,
  async run(ctx) {
    await ctx.exercise().catch(() => undefined);
    const details = ctx
      .allSessions()
      .flatMap((s) =>
        s.violations.map(
          (v) => `${s.options.label} at ${v.ms} ms: ${v.reason}: ${JSON.stringify(v.text.slice(0, 160))}`,
        ),
      );
    return details.length
      ? fail(`${details.length} stdout line(s) were not protocol messages`, details.slice(0, 20))
      : pass(`every stdout line of ${ctx.allSessions().length} plugin processes was a protocol message`);
  },
};

const crlf: CheckImpl = {
  id: 'transport.crlf',
  needsHandshake: true,
  async run(ctx) {
    return ctx.withWireSession(async (s) => {
      for (let i = 0; i < 2; i++) {
        const r = await s.request(Methods.ping, {}, { lineEnding: '\r\n' });
        if (!isResult(r)) return fail(`ping sent with CRLF was answered with ${describe(r)}`);
      }
      return pass('answered pings sent with CRLF line endings');
    });
  },
};

const largeMessage: CheckImpl = {
  id: 'transport.large-message',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    const request = baseRequest(ctx.timeouts.requestMs);
    const spec = request.spec as JsonObject;
    // 17 events of ~60 KiB (events may be 64 KiB each): just over 1 MiB in one line.
    spec.events = Array.from({ length: 17 }, (_, i) => ({
      id: `conformance-filler-${i}`,
      group: 'conformance',
      sourceNode: 'conformance',
      type: 'conformance.filler.padding',
      payload: { index: i, data: 'x'.repeat(60 * 1024) },
      observedAt: spec.now,
    }));
    const bytes = Buffer.byteLength(JSON.stringify(request));
    const problem = await readProof(s, request, `a ${bytes}-byte message`);
    return problem ? fail(problem) : pass(`read and answered a ${bytes}-byte plugin/run`);
  },
};

/** Small enough to exceed cheaply, large enough for any initialize-time chatter. */
const NEGOTIATED_LIMIT = 64 * 1024;

/** A session whose initialize set limits.maxMessageBytes to NEGOTIATED_LIMIT. */
async function openWithLimit(ctx: CheckContext): Promise<PluginSession> {
  const s = ctx.spawn();
  const limits = {
    maxMessageBytes: NEGOTIATED_LIMIT,
    maxInFlight: 8,
    defaultTimeoutMs: ctx.timeouts.requestMs,
  };
  await initializeOrNotTestable(s, { limits });
  s.notify(Methods.initialized, {});
  return s;
}

const oversizeRefused: CheckImpl = {
  id: 'transport.oversize-refused',
  needsHandshake: true,
  async run(ctx) {
    const s = await openWithLimit(ctx);
    const since = s.received.length;
    // A ping padded past the limit: a plugin that answers it read a line it had agreed to refuse.
    const id = 'h:oversize';
    s.sentRequests.set(JSON.stringify(id), Methods.ping);
    const pad = 'x'.repeat(2 * NEGOTIATED_LIMIT);
    s.sendRaw(`${JSON.stringify({ jsonrpc: '2.0', id, method: Methods.ping, params: { pad } })}\n`);
    const answer = await s.waitFor(
      (m) => isResponse(m) && (m.id === null || m.id === id),
      ctx.timeouts.requestMs,
      since,
    );
    const after = await s.request(Methods.ping, {});
    const bytes = 2 * NEGOTIATED_LIMIT + 60;
    if (!answer) return fail(`sent no answer at all to a ~${bytes}-byte line (limit ${NEGOTIATED_LIMIT})`);
    if (answer.id === id)
      return fail(
        `read and answered a ~${bytes}-byte line although initialize set limits.maxMessageBytes to ${NEGOTIATED_LIMIT}`,
      );
    const code = (answer.error as JsonObject | undefined)?.code;
    if (code !== ErrorCodes.InvalidRequest)
      return fail(`answered the oversize line with ${JSON.stringify(answer)}, expected -32600`);
    if (!isResult(after)) return fail(`after the oversize line, ping was answered with ${describe(after)}`);
    return pass(`refused a ~${bytes}-byte line (limit ${NEGOTIATED_LIMIT}) with -32600 and went on`);
  },
};

/**
 * A ping of exactly `bytes` bytes before its line feed: the padding is JSON whitespace inside the object,
 * so the message means the same whatever its size.
 */
function pingOfSize(s: PluginSession, id: string, bytes: number): string {
  s.sentRequests.set(JSON.stringify(id), Methods.ping);
  const head = JSON.stringify({ jsonrpc: '2.0', id, method: Methods.ping, params: {} }).slice(0, -1);
  return `${head}${' '.repeat(bytes - Buffer.byteLength(head) - 1)}}`;
}

const messageLimitExact: CheckImpl = {
  id: 'transport.message-limit-exact',
  needsHandshake: true,
  async run(ctx) {
    const s = await openWithLimit(ctx);
    const problems: string[] = [];
    // The limit counts the bytes before the line feed: a line of exactly the limit is a message to read.
    for (const [id, bytes, readable] of [
      ['h:limit-exact', NEGOTIATED_LIMIT, true],
      ['h:limit-plus-one', NEGOTIATED_LIMIT + 1, false],
    ] as const) {
      const since = s.received.length;
      s.sendRaw(`${pingOfSize(s, id, bytes)}\n`);
      const answer = await s.waitFor(
        (m) => isResponse(m) && (m.id === null || m.id === id),
        ctx.timeouts.requestMs,
        since,
      );
      const read = answer?.id === id;
      if (!answer) problems.push(`sent no answer at all to a ${bytes}-byte line${s.exitNote()}`);
      else if (readable && !read)
        problems.push(
          `refused a line of exactly ${bytes} bytes (limit ${NEGOTIATED_LIMIT}) with ${JSON.stringify(answer.error)}: the line feed is not part of the count`,
        );
      else if (!readable && read)
        problems.push(`read and answered a ${bytes}-byte line although the limit is ${NEGOTIATED_LIMIT}`);
      if (!s.running) break;
    }
    return problems.length
      ? fail(problems.join('; '))
      : pass(
          `read a line of exactly ${NEGOTIATED_LIMIT} bytes (the limit) and refused one of ${NEGOTIATED_LIMIT + 1}`,
        );
  },
};

const UNICODE_TEXT = 'ünïcödé 日本語 🚀 \u2028\u2029 Ω ∑ 𝄞';

const unicode: CheckImpl = {
  id: 'transport.unicode',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    // The id comes back verbatim: this proves the plugin's own output is correct UTF-8 too.
    const id = `h:${UNICODE_TEXT}`;
    const echoed = await s.request(Methods.ping, {}, { id });
    if (echoed.id !== id)
      return fail(`ping with a Unicode id came back with id ${JSON.stringify(echoed.id)}`);
    const request = baseRequest(ctx.timeouts.requestMs);
    const spec = request.spec as JsonObject;
    spec.trigger = { type: 'manual', topic: UNICODE_TEXT };
    spec.events = [
      {
        id: 'conformance-unicode-1',
        group: 'conformance',
        sourceNode: 'conformance',
        type: 'conformance.unicode.sample',
        subject: UNICODE_TEXT,
        payload: { text: UNICODE_TEXT },
        observedAt: spec.now,
      },
    ];
    const problem = await readProof(s, request, 'a plugin/run with multi-byte UTF-8');
    return problem ? fail(problem) : pass('read multi-byte UTF-8 and echoed a Unicode id exactly');
  },
};

const parseError: CheckImpl = {
  id: 'transport.parse-error',
  needsHandshake: true,
  async run(ctx) {
    return ctx.withWireSession(async (s) => {
      const since = s.received.length;
      s.sendRaw('{"jsonrpc": "2.0", "id": "h:broken", "method": "ping"\n');
      const answer = await s.waitFor((m) => isResponse(m) && m.id === null, ctx.timeouts.requestMs, since);
      const after = await s.request(Methods.ping, {});
      if (!answer) return fail('sent no error response with id null for a line that is not JSON');
      const code = (answer.error as JsonObject | undefined)?.code;
      if (code !== ErrorCodes.ParseError)
        return fail(`answered a line that is not JSON with ${JSON.stringify(answer)}, expected -32700`);
      if (!isResult(after)) return fail(`after the broken line, ping was answered with ${describe(after)}`);
      return pass('answered -32700 with id null and went on with the next line');
    });
  },
};

const batchRefused: CheckImpl = {
  id: 'transport.batch-refused',
  needsHandshake: true,
  async run(ctx) {
    return ctx.withWireSession(async (s) => {
      const since = s.received.length;
      // Registered, so that a plugin that does answer it is blamed here, not in schema.messages-valid.
      s.sentRequests.set(JSON.stringify('h:batched'), Methods.ping);
      s.sendRaw('[{"jsonrpc":"2.0","id":"h:batched","method":"ping","params":{}}]\n');
      const answer = await s.waitFor((m) => isResponse(m) && m.id === null, ctx.timeouts.requestMs, since);
      await s.request(Methods.ping, {});
      if (s.received.some((m) => m.id === 'h:batched'))
        return fail('answered a request inside a batch: batches must be refused whole');
      if (!answer) return fail('sent no error response with id null for a batch');
      const code = (answer.error as JsonObject | undefined)?.code;
      return code === ErrorCodes.InvalidRequest
        ? pass('refused the batch with -32600 and id null')
        : fail(`answered a batch with ${JSON.stringify(answer)}, expected -32600`);
    });
  },
};

const unknownMethod: CheckImpl = {
  id: 'transport.unknown-method',
  needsHandshake: true,
  async run(ctx) {
    return ctx.withWireSession(async (s) => {
      const r = await s.request('conformance/unknown-method', {});
      if (errorCode(r) !== ErrorCodes.MethodNotFound)
        return fail(`answered an unknown method with ${describe(r)}, expected -32601`);
      const since = s.received.length;
      s.notify('conformance/unknown-notification', { x: 1 });
      const ping = s.requestLine(Methods.ping, {});
      s.sendRaw(ping.line);
      await s.response(ping.id, ctx.timeouts.requestMs, 'ping');
      const extra = s.received.slice(since).filter((m) => isResponse(m) && m.id !== ping.id);
      return extra.length
        ? fail(`answered an unknown notification: ${JSON.stringify(extra[0])}`)
        : pass('answered -32601 to an unknown method and ignored an unknown notification');
    });
  },
};

const JSON_POINTER = /^(?:\/(?:[^~/]|~[01])*)*$/;

/** JSON Pointers of every field plugin-request.schema.json requires, outside arrays (the base request has no events). */
export function requiredPointers(schema: JsonObject, prefix = ''): string[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  return ((schema.required ?? []) as string[]).flatMap((key) => {
    const pointer = `${prefix}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const child = properties[key];
    return [pointer, ...(child?.type === 'object' ? requiredPointers(child, pointer) : [])];
  });
}

const REQUEST_SCHEMA = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve('@routerd/plugin-sdk/schema/plugin-request.schema.json'),
    'utf8',
  ),
) as JsonObject;

/** A copy of `value` without the field at `pointer`. */
function without(value: JsonObject, pointer: string): JsonObject {
  const copy = structuredClone(value);
  const keys = pointer
    .split('/')
    .slice(1)
    .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = keys.pop()!;
  let parent: JsonObject = copy;
  for (const k of keys) parent = parent[k] as JsonObject;
  delete parent[last];
  return copy;
}

const requiredRequestFields: CheckImpl = {
  id: 'transport.required-request-fields',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    const pointers = requiredPointers(REQUEST_SCHEMA);
    const accepted: string[] = [];
    for (const pointer of pointers) {
      let r: Response;
      try {
        r = await s.request(Methods.run, without(baseRequest(ctx.timeouts.requestMs), pointer));
      } catch (err) {
        // No answer: a plugin that trusted the field to be there may have died of its absence.
        accepted.push(`without ${pointer}: ${(err as Error).message}`);
        if (s.running) continue;
        break;
      }
      if (errorCode(r) !== ErrorCodes.InvalidParams)
        accepted.push(`without ${pointer}: ${r.error ? describe(r) : 'answered with a result'}`);
    }
    return accepted.length
      ? fail(
          `${accepted.length} of ${pointers.length} plugin/run requests missing a required field were not refused with -32602`,
          accepted,
        )
      : pass(`refused a plugin/run without each of ${pointers.join(', ')} with -32602`);
  },
};

const invalidParams: CheckImpl = {
  id: 'transport.invalid-params',
  needsHandshake: true,
  async run(ctx) {
    return ctx.withWireSession(async (s) => {
      const request = baseRequest(ctx.timeouts.requestMs);
      delete request.spec;
      const r = await s.request(Methods.run, request);
      if (errorCode(r) !== ErrorCodes.InvalidParams)
        return fail(`a plugin/run without spec was answered with ${describe(r)}, expected -32602`);
      const issues = (r.error?.data as JsonObject | undefined)?.issues;
      if (!Array.isArray(issues) || issues.length === 0)
        return fail(`-32602 without data.issues[]: data was ${JSON.stringify(r.error?.data)}`);
      const bad = issues.filter(
        (i) =>
          !i || typeof i.path !== 'string' || !JSON_POINTER.test(i.path) || typeof i.message !== 'string',
      );
      return bad.length
        ? fail(`issues must be {path: JSON Pointer, message}: ${JSON.stringify(bad.slice(0, 3))}`)
        : pass(`answered -32602 with issues at ${issues.map((i) => i.path || '/').join(', ')}`);
    });
  },
};

const requestIds: CheckImpl = {
  id: 'transport.request-ids',
  needsHandshake: true,
  async run(ctx) {
    return ctx.withWireSession(async (s) => {
      const problems: string[] = [];
      for (const id of [0, '']) {
        const line = s.requestLine(Methods.ping, {}, id);
        const since = s.received.length;
        s.sendRaw(line.line);
        const r = await s
          .response(id, ctx.timeouts.requestMs, `ping with id ${JSON.stringify(id)}`)
          .catch(() => undefined);
        if (!r) {
          const other = s.received.slice(since).find(isResponse);
          problems.push(
            `no answer with id ${JSON.stringify(id)}${other ? `; got ${JSON.stringify(other).slice(0, 160)}` : ''}`,
          );
        } else if (!isResult(r)) problems.push(`ping with id ${JSON.stringify(id)}: ${describe(r)}`);
      }
      return problems.length
        ? fail(problems.join('; '))
        : pass('answered requests with ids 0 and "" by those ids');
    });
  },
};

const pluginIdPrefix: CheckImpl = {
  id: 'transport.plugin-id-prefix',
  derived: true,
  needsHandshake: true,
  async run(ctx) {
    await ctx.exercise().catch(() => undefined);
    const ids = ctx
      .allSessions()
      .flatMap((s) =>
        s.received.filter((m) => typeof m.method === 'string' && m.id !== undefined && m.id !== null),
      )
      .map((m) => m.id);
    const bad = ids.filter((id) => typeof id !== 'string' || !id.startsWith('p:'));
    if (ids.length === 0) return pass('sent no requests of its own');
    return bad.length
      ? fail(
          `${bad.length} of its ${ids.length} request ids are not strings prefixed p:`,
          bad.slice(0, 5).map((id) => JSON.stringify(id)),
        )
      : pass(`all ${ids.length} of its request ids are prefixed p:`);
  },
};

const ignoresUnknownFields: CheckImpl = {
  id: 'transport.ignores-unknown-fields',
  needsHandshake: true,
  async run(ctx) {
    const s = ctx.spawn();
    const extra = { xConformanceUnknown: { added: 'in a later minor version' } };
    const init = s.requestLine(Methods.initialize, { ...s.initializeParams(), ...extra });
    s.sendRaw(`${JSON.stringify({ ...JSON.parse(init.line), ...extra })}\n`);
    const initAnswer = await s.response(init.id, ctx.timeouts.handshakeMs, 'initialize');
    if (initAnswer.error)
      return fail(`initialize with an unknown field was answered with ${describe(initAnswer)}`);
    s.send({ jsonrpc: '2.0', method: Methods.initialized, params: { ...extra }, ...extra });
    s.initializedSent = true;
    const ping = await s.request(Methods.ping, { ...extra });
    if (!isResult(ping)) return fail(`ping with an unknown field was answered with ${describe(ping)}`);
    const request = baseRequest(ctx.timeouts.requestMs);
    Object.assign(request, extra);
    Object.assign(request.metadata as JsonObject, extra);
    Object.assign(request.spec as JsonObject, extra);
    const run = await s.request(Methods.run, request);
    const code = errorCode(run);
    if (code === ErrorCodes.InvalidParams || (code !== undefined && UNREADABLE.has(code))) {
      return fail(`plugin/run with unknown fields was refused: ${describe(run)}`);
    }
    return pass('accepted unknown fields in initialize, notifications, ping and plugin/run');
  },
};

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function isLogLine(line: string): boolean {
  try {
    const o = JSON.parse(line) as JsonObject;
    return (
      typeof o.ts === 'string' &&
      RFC3339.test(o.ts) &&
      typeof o.level === 'string' &&
      LEVELS.has(o.level) &&
      typeof o.msg === 'string'
    );
  } catch {
    return false;
  }
}

const stderrJsonLogs: CheckImpl = {
  id: 'transport.stderr-json-logs',
  derived: true,
  needsHandshake: true,
  async run(ctx: CheckContext) {
    await ctx.exercise().catch(() => undefined);
    // Without the cookie a plain sentence on stderr is what R-S3 asks for.
    const sessions = ctx.allSessions().filter((s) => s.options.cookie !== false);
    const lines = sessions.flatMap((s) => s.stderr.lines());
    const other = lines.filter((l) => !isLogLine(l));
    if (lines.length === 0) return pass('wrote nothing on stderr');
    return other.length
      ? fail(
          `${other.length} of ${lines.length} stderr lines are not JSON log lines {ts, level, msg}`,
          other.slice(0, 3).map((l) => l.slice(0, 160)),
        )
      : pass(`all ${lines.length} stderr lines are JSON log lines`);
  },
};

export const transportChecks: CheckImpl[] = [
  stdoutOnlyProtocol,
  crlf,
  largeMessage,
  oversizeRefused,
  messageLimitExact,
  unicode,
  parseError,
  batchRefused,
  unknownMethod,
  invalidParams,
  requiredRequestFields,
  requestIds,
  pluginIdPrefix,
  ignoresUnknownFields,
  stderrJsonLogs,
];
