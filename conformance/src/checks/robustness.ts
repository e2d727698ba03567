import { ErrorCodes, Methods } from '@routerd/plugin-sdk';
import { baseRequest, materialize } from '../vectors.js';
import { describe, errorCode, isResponse, type JsonObject } from '../wire/plugin-session.js';
import { type CheckContext, type CheckImpl, fail, NotTestable, pass } from './types.js';

/** A request the plugin does real work for: its first result-expecting golden vector, else a plain manual run. */
function workRequest(ctx: CheckContext, deadlineMs = ctx.timeouts.requestMs): JsonObject {
  const vector = ctx.vectors.find(
    (v) => ctx.sessionGrant.includes(v.capability) && !('errorCode' in v.expect),
  );
  return vector ? materialize(vector, deadlineMs) : baseRequest(deadlineMs);
}

const cancelHonoured: CheckImpl = {
  id: 'robustness.cancel-honoured',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    const run = s.requestLine(Methods.run, workRequest(ctx));
    const cancel = {
      jsonrpc: '2.0',
      method: Methods.cancelled,
      params: { requestId: run.id, reason: 'conformance: cancel' },
    };
    const ping = s.requestLine(Methods.ping, {});
    // One write: the cancel reaches the plugin while the request is (at most) just starting.
    s.sendRaw(`${run.line}${JSON.stringify(cancel)}\n${ping.line}`);
    const pong = await s
      .response(ping.id, ctx.timeouts.cancelGraceMs, 'the ping after the cancel')
      .catch(() => undefined);
    if (!pong)
      return fail(
        s.exitNote()
          ? `did not answer the ping after a cancel${s.exitNote()}`
          : `did not answer ping within the ${ctx.timeouts.cancelGraceMs} ms grace after a cancel (a host kills it)`,
      );
    await s.quiet(ctx.timeouts.quietMs);
    const key = JSON.stringify(run.id);
    const runAnswer = s.received.findIndex((m) => isResponse(m) && JSON.stringify(m.id) === key);
    // An answer before the ping's was possibly written before the cancel was read: allowed. After it, the
    // plugin had read the cancel (it is ordered before the ping) and answered anyway.
    if (runAnswer > s.received.indexOf(pong)) {
      return fail(
        `sent a response for the cancelled request after it had read the cancel: ${describe(s.received[runAnswer] as never)}`,
      );
    }
    return pass(
      runAnswer === -1
        ? 'sent nothing for the cancelled request and stayed responsive'
        : 'answered before it read the cancel (allowed) and stayed responsive',
    );
  },
};

const deadlineRespected: CheckImpl = {
  id: 'robustness.deadline-respected',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    const request = workRequest(ctx, ctx.timeouts.deadlineMs);
    const deadline = Date.parse((request.spec as JsonObject).deadline as string);
    const run = s.requestLine(Methods.run, request);
    s.sendRaw(run.line);
    const wait = deadline - Date.now() + ctx.timeouts.quietMs;
    let answer = await s.response(run.id, wait, 'plugin/run').catch(() => undefined);
    let at = Date.now();
    if (!answer) {
      const pong = await s
        .request(Methods.ping, {}, { timeoutMs: ctx.timeouts.cancelGraceMs })
        .catch(() => undefined);
      if (!pong)
        return fail(
          `neither answered by its deadline nor answered ping ${ctx.timeouts.cancelGraceMs} ms later${s.exitNote() || ': it is stuck'}`,
        );
      answer = await s.response(run.id, ctx.timeouts.quietMs, 'plugin/run').catch(() => undefined);
      at = Date.now();
      if (!answer) return pass('stopped and did not answer after the deadline (allowed)');
    }
    // Pipe latency can deliver an answer written just before the deadline a little after it.
    if (at <= deadline + 100) return pass('answered before the deadline');
    return errorCode(answer) === ErrorCodes.DeadlineExceeded
      ? pass('answered -32032 after the deadline')
      : fail(
          `answered ${at - deadline} ms after spec.deadline with ${describe(answer)}; after the deadline only -32032 is allowed`,
        );
  },
};

/** How far in the past the request that arrives late says it was made, and its deadline passed. */
const STALE_NOW_MS = 10_000;
const PASSED_DEADLINE_MS = 2_000;

const deadlineByClock: CheckImpl = {
  id: 'robustness.deadline-by-clock',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    // A request that waited before it was sent (a host's queue, a one-shot plugin's start): spec.now is
    // 10 s old and the deadline passed 2 s ago. Counted from spec.now there would be 8 s left.
    const request = workRequest(ctx);
    const spec = request.spec as JsonObject;
    const sent = Date.now();
    spec.now = new Date(sent - STALE_NOW_MS).toISOString();
    spec.deadline = new Date(sent - PASSED_DEADLINE_MS).toISOString();
    const answer = await s.request(Methods.run, request).catch(() => undefined);
    if (!answer) {
      const pong = await s
        .request(Methods.ping, {}, { timeoutMs: ctx.timeouts.cancelGraceMs })
        .catch(() => undefined);
      return pong
        ? pass('did not answer a request whose deadline had passed (allowed)')
        : fail(
            `neither answered a request whose deadline had passed nor a ping${s.exitNote() || ': it is stuck'}`,
          );
    }
    if (errorCode(answer) === ErrorCodes.DeadlineExceeded)
      return pass('answered -32032 to a request whose deadline had passed when it arrived');
    return fail(
      `answered ${answer.error ? describe(answer) : 'with a result'} to a request whose spec.deadline had passed ${PASSED_DEADLINE_MS / 1000} s before it was sent (spec.now was ${STALE_NOW_MS / 1000} s before): after the deadline only -32032 is allowed; compare the deadline with the current time, not with spec.now`,
    );
  },
};

const keepsWorkingWhileStderrUnread: CheckImpl = {
  id: 'robustness.keeps-working-while-stderr-unread',
  needsHandshake: true,
  async run(ctx) {
    const s = ctx.spawn({ readStderr: false });
    const init = await s.initialize({}, ctx.timeouts.handshakeMs).catch(() => undefined);
    if (!init) return fail('did not even answer initialize while its stderr was not read');
    if (init.response.error) throw new NotTestable(`initialize failed: ${describe(init.response)}`);
    s.notify(Methods.initialized, {});
    const lines = [
      s.requestLine(Methods.run, workRequest(ctx)),
      s.requestLine(Methods.ping, {}),
      s.requestLine(Methods.run, workRequest(ctx)),
    ];
    s.sendRaw(lines.map((l) => l.line).join(''));
    const answers = await Promise.all(
      lines.map((l) => s.response(l.id, ctx.timeouts.stderrStallMs).catch(() => undefined)),
    );
    const missing = answers.filter((a) => !a).length;
    s.drainStderr();
    if (missing && !s.running)
      return fail(`${missing} of ${lines.length} requests unanswered${s.exitNote()}`);
    return missing
      ? fail(
          `stopped answering while its stderr was not read (${missing} of ${lines.length} requests unanswered after ${ctx.timeouts.stderrStallMs} ms): it blocks protocol work on log output; write logs without blocking, or drop them when the pipe is full`,
        )
      : pass(`answered ${lines.length} requests while its stderr was not read`);
  },
};

const concurrentRequests: CheckImpl = {
  id: 'robustness.concurrent-requests',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    const lines = Array.from({ length: 8 }, () => s.requestLine(Methods.run, workRequest(ctx)));
    s.sendRaw(lines.map((l) => l.line).join(''));
    const answers = await Promise.all(
      lines.map((l) => s.response(l.id, ctx.timeouts.requestMs).catch(() => undefined)),
    );
    await s.quiet(50);
    const missing = lines.filter((_, i) => !answers[i]).map((l) => String(l.id));
    const twice = lines
      .filter((l) => s.received.filter((m) => isResponse(m) && m.id === l.id).length > 1)
      .map((l) => String(l.id));
    if (missing.length || twice.length) {
      return fail(
        [
          missing.length && `no answer for ${missing.join(', ')}`,
          twice.length && `answered more than once: ${twice.join(', ')}`,
        ]
          .filter(Boolean)
          .join('; '),
      );
    }
    return pass(`answered ${lines.length} concurrent requests, each once by its id`);
  },
};

const progressMonotonic: CheckImpl = {
  id: 'robustness.progress-monotonic',
  derived: true,
  needsHandshake: true,
  async run(ctx) {
    await ctx.exercise().catch(() => undefined);
    let count = 0;
    const details: string[] = [];
    for (const s of ctx.allSessions()) {
      const last = new Map<string, number>();
      for (const m of s.received) {
        if (m.method !== Methods.progress) continue;
        const p = m.params as JsonObject | undefined;
        if (typeof p?.progress !== 'number') continue;
        count++;
        const key = JSON.stringify(p.requestId);
        const prev = last.get(key);
        if (prev !== undefined && p.progress < prev)
          details.push(`${s.options.label}: request ${key} went from ${prev} to ${p.progress}`);
        last.set(key, p.progress);
      }
    }
    if (count === 0) return pass('sent no progress notifications');
    return details.length
      ? fail('progress went backwards', details.slice(0, 10))
      : pass(`${count} progress notifications, none decreasing`);
  },
};

export const robustnessChecks: CheckImpl[] = [
  cancelHonoured,
  deadlineRespected,
  deadlineByClock,
  keepsWorkingWhileStderrUnread,
  concurrentRequests,
  progressMonotonic,
];
