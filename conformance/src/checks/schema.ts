import {
  CancelledParams,
  checkPluginResult,
  formatIssues,
  InitializeResult,
  type Issue,
  MessageParams,
  Methods,
  PingResult,
  ProgressParams,
  PublishParams,
  RpcError,
  ShutdownResult,
  validate,
  validateEventPayload,
} from '@routerd/plugin-sdk';
import type { Type } from 'arktype';
import type { JsonObject, PluginSession } from '../wire/plugin-session.js';
import { type CheckImpl, fail, NotTestable, pass } from './types.js';

/** Result schema of each host → plugin request, by method. */
const RESULT_SCHEMAS: Record<string, Type<unknown>> = {
  [Methods.initialize]: InitializeResult as Type<unknown>,
  [Methods.ping]: PingResult as Type<unknown>,
  [Methods.shutdown]: ShutdownResult as Type<unknown>,
};

/** Params schema of each plugin → host method. */
const PARAMS_SCHEMAS: Record<string, Type<unknown>> = {
  [Methods.publish]: PublishParams as Type<unknown>,
  [Methods.progress]: ProgressParams as Type<unknown>,
  [Methods.message]: MessageParams as Type<unknown>,
  [Methods.cancelled]: CancelledParams as Type<unknown>,
};

const isId = (id: unknown) => typeof id === 'string' || typeof id === 'number';

/** Problems of one message the plugin sent, judged by the published schemas (arktype is their source). */
export function messageProblems(m: JsonObject, session: PluginSession): string[] {
  const out: string[] = [];
  if (m.jsonrpc !== '2.0') out.push('"jsonrpc" is not "2.0"');
  if (typeof m.method === 'string') {
    if ('id' in m && !isId(m.id))
      out.push(`request id ${JSON.stringify(m.id)} is neither a string nor a number`);
    const schema = PARAMS_SCHEMAS[m.method];
    if (schema) {
      const r = validate(schema, m.params ?? {}, '/params');
      if (!r.ok) out.push(`${m.method} params: ${formatIssues(r.issues)}`);
      else if (m.method === Methods.publish) {
        (m.params as { events: { type: string; payload: unknown }[] }).events.forEach((e, i) => {
          const issues = validateEventPayload(e.type, e.payload, `/params/events/${i}/payload`);
          if (issues.length) out.push(`events/publish: ${formatIssues(issues)}`);
        });
      }
    }
    return out;
  }
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError)
    return [...out, 'neither a request nor a response (needs exactly one of "method", "result", "error")'];
  if (!(m.id === null || isId(m.id)))
    out.push(`response id ${JSON.stringify(m.id)} is not a string, number or null`);
  if (hasError) {
    const r = validate(RpcError, m.error, '/error');
    if (!r.ok) out.push(`error object: ${formatIssues(r.issues)}`);
    return out;
  }
  const method = session.sentRequests.get(JSON.stringify(m.id));
  if (!method) return [...out, `a result for id ${JSON.stringify(m.id)}, which the host never sent`];
  let issues: Issue[] = [];
  if (method === Methods.run) {
    const r = checkPluginResult(m.result);
    if (!r.ok) issues = r.issues;
  } else if (RESULT_SCHEMAS[method]) {
    const r = validate(RESULT_SCHEMAS[method], m.result);
    if (!r.ok) issues = r.issues;
  }
  if (issues.length)
    out.push(`result of ${method}: ${formatIssues(issues.map((i) => ({ ...i, path: `/result${i.path}` })))}`);
  return out;
}

const messagesValid: CheckImpl = {
  id: 'schema.messages-valid',
  derived: true,
  needsHandshake: true,
  async run(ctx) {
    await ctx.exercise().catch(() => undefined);
    let total = 0;
    const details: string[] = [];
    for (const s of ctx.allSessions()) {
      s.received.forEach((m, i) => {
        total++;
        for (const p of messageProblems(m, s)) details.push(`${s.options.label}, message ${i + 1}: ${p}`);
      });
    }
    if (total === 0) throw new NotTestable('the plugin sent no messages');
    return details.length
      ? fail(`${details.length} problem(s) in the ${total} messages the plugin sent`, details.slice(0, 30))
      : pass(`all ${total} messages the plugin sent validate`);
  },
};

export const schemaChecks: CheckImpl[] = [messagesValid];
