import {
  type Capability,
  capabilityViolations,
  checkPluginResult,
  formatIssues,
  Methods,
  type PluginResult,
} from '@routerd/plugin-sdk';
import { TESTED_CAPABILITIES, type TestedCapability } from '../catalogue.js';
import { judge, type VectorProblem } from '../vectors.js';
import { isResponse, type JsonObject, type PluginSession } from '../wire/plugin-session.js';
import { type CheckContext, type CheckImpl, fail, NotTestable, pass } from './types.js';

/** Every plugin/run result any session received, with the session it came from. */
function runResults(ctx: CheckContext): { session: PluginSession; result: unknown }[] {
  return ctx
    .allSessions()
    .flatMap((session) =>
      session.received
        .filter(
          (m) =>
            isResponse(m) && 'result' in m && session.sentRequests.get(JSON.stringify(m.id)) === Methods.run,
        )
        .map((m) => ({ session, result: m.result })),
    );
}

function statusOf(result: unknown): JsonObject | undefined {
  const status = (result as JsonObject | undefined)?.status;
  return status && typeof status === 'object' ? (status as JsonObject) : undefined;
}

async function capabilityRuns(ctx: CheckContext, capability: TestedCapability) {
  const ex = await ctx.exercise();
  const runs = ex.runs.filter((r) => r.vector.capability === capability);
  if (runs.length === 0) {
    throw new NotTestable(`no golden vectors for ${capability}; add some with --vectors DIR`);
  }
  return runs;
}

function goldenVectors(capability: TestedCapability): CheckImpl {
  return {
    id: `capabilities.${capability}.golden-vectors`,
    needsHandshake: true,
    async run(ctx) {
      const runs = await capabilityRuns(ctx, capability);
      const problems: { vector: string; problem: VectorProblem }[] = [];
      for (const run of runs) {
        const answer = run.answers[0];
        const problem = answer ? judge(run.vector.expect, answer) : { text: run.problem ?? 'no answer' };
        if (problem) problems.push({ vector: `${run.vector.name} (${run.vector.description})`, problem });
      }
      // Quote only the rules broken — unless a problem breaks none of them by name (no answer at all, a
      // vector's own resultSubset), when every rule of the check stands.
      const named = problems.map((p) => p.problem.requirement);
      const violated = named.every(Boolean) ? [...new Set(named as string[])].sort() : undefined;
      return problems.length
        ? fail(
            `${problems.length} of ${runs.length} golden vectors failed`,
            problems.map(
              ({ vector, problem }) =>
                `${vector}: ${problem.text}${problem.requirement ? ` (${problem.requirement})` : ''}`,
            ),
            violated,
          )
        : pass(`all ${runs.length} golden vectors hold: ${runs.map((r) => r.vector.name).join(', ')}`);
    },
  };
}

function resultsValid(capability: TestedCapability): CheckImpl {
  return {
    id: `capabilities.${capability}.results-valid`,
    needsHandshake: true,
    async run(ctx) {
      const runs = await capabilityRuns(ctx, capability);
      const results = runs.flatMap((r) =>
        r.answers.flatMap((a) => ('result' in a ? [{ name: r.vector.name, result: a.result }] : [])),
      );
      if (results.length === 0) throw new NotTestable(`no ${capability} vector was answered with a result`);
      const details = results.flatMap(({ name, result }) => {
        const r = checkPluginResult(result);
        return r.ok ? [] : [`${name}: ${formatIssues(r.issues)}`];
      });
      return details.length
        ? fail(`${details.length} of ${results.length} results do not validate`, details)
        : pass(`all ${results.length} results validate, well-known kinds and event types included`);
    },
  };
}

const plansInert: CheckImpl = {
  id: 'capabilities.propose.providerAction.plans-inert',
  derived: true,
  needsHandshake: true,
  async run(ctx) {
    await ctx.exercise();
    const plans = runResults(ctx).flatMap(({ session, result }) => {
      const list = statusOf(result)?.actionPlans;
      return Array.isArray(list) ? list.map((plan) => ({ session, plan: plan as JsonObject })) : [];
    });
    if (plans.length === 0) throw new NotTestable('the plugin proposed no action plan for any golden vector');
    const bad = plans.filter(({ plan }) => plan?.mode !== 'dry-run');
    return bad.length
      ? fail(
          `${bad.length} of ${plans.length} action plans are not inert`,
          bad
            .slice(0, 10)
            .map(
              ({ session, plan }) =>
                `${session.options.label}: plan ${JSON.stringify(plan?.name)} has mode ${JSON.stringify(plan?.mode)}`,
            ),
        )
      : pass(`all ${plans.length} action plans have mode dry-run`);
  },
};

const outputWithinGranted: CheckImpl = {
  id: 'capabilities.output-within-granted',
  derived: true,
  needsHandshake: true,
  async run(ctx) {
    await ctx.exercise().catch(() => undefined);
    const declared = ctx.probe.declared ?? [];
    const held = (s: PluginSession): Capability[] => s.options.granted.filter((c) => declared.includes(c));
    const results = runResults(ctx);
    const publishes = ctx
      .allSessions()
      .flatMap((session) => session.received.filter((m) => m.method === Methods.publish).map(() => session));
    if (results.length === 0 && publishes.length === 0)
      throw new NotTestable('the plugin produced no output (no plugin/run result, no events/publish)');
    const details: string[] = [];
    for (const { session, result } of results) {
      const status = statusOf(result);
      if (!status) continue;
      for (const v of capabilityViolations(status as PluginResult['status'], held(session))) {
        details.push(
          `${session.options.label}: status.${v.field} needs ${v.capability}, which it holds not (declared: ${declared.join(', ') || 'nothing'}; granted: ${session.options.granted.join(', ') || 'nothing'})`,
        );
      }
    }
    for (const session of publishes) {
      if (!held(session).includes('observe.events'))
        details.push(`${session.options.label}: events/publish needs observe.events, which it holds not`);
    }
    return details.length
      ? fail(
          `${details.length} output(s) need a capability the plugin was not granted or did not declare`,
          details.slice(0, 20),
        )
      : pass(
          `${results.length} results and ${publishes.length} publishes stay within the declared, granted capabilities`,
        );
  },
};

/** What must not change between two runs of the same request (observedAt legitimately does). */
function proposal(result: unknown): string {
  const s = statusOf(result) ?? {};
  return canonical({
    resources: s.resources ?? [],
    directives: s.directives ?? [],
    actionPlans: s.actionPlans ?? [],
  });
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as JsonObject)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const deterministic: CheckImpl = {
  id: 'capabilities.deterministic',
  needsHandshake: true,
  async run(ctx) {
    const ex = await ctx.exercise();
    const pairs = [
      { name: 'manual request without events', ...ex.baseRun },
      ...ex.runs.map((r) => ({ name: r.vector.name, ...r })),
    ].filter((r) => r.answers.length === 2 && r.answers.every((a) => 'result' in a));
    if (pairs.length === 0) throw new NotTestable('no request was answered with a result twice');
    const differing = pairs.filter(
      (p) =>
        proposal((p.answers[0] as { result: unknown }).result) !==
        proposal((p.answers[1] as { result: unknown }).result),
    );
    return differing.length
      ? fail(
          `${differing.length} of ${pairs.length} requests gave different proposals when sent twice`,
          differing.map((p) => p.name),
        )
      : pass(`${pairs.length} requests sent twice gave identical resources, directives and plans`);
  },
};

export const capabilityChecks: CheckImpl[] = [
  ...TESTED_CAPABILITIES.flatMap((c) => [goldenVectors(c), resultsValid(c)]),
  plansInert,
  outputWithinGranted,
  deterministic,
];
