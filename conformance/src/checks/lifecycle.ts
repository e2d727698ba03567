import { type Capability, ErrorCodes, Methods } from '@routerd/plugin-sdk';
import { baseRequest } from '../vectors.js';
import {
  describe,
  errorCode,
  type JsonObject,
  type PluginSession,
  type Response,
} from '../wire/plugin-session.js';
import { type CheckContext, type CheckImpl, fail, NotTestable, pass, type Verdict } from './types.js';

const MIN_START_ALLOWANCE_MS = 5_000;
/** § 5: in the Capability enum, but reserved for a later executor protocol; no v1 plugin may declare it. */
const RESERVED: Capability = 'execute.providerAction';
const isEmptyObject = (v: unknown) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
const how = (exit: { code: number | null; signal: string | null }) =>
  exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;

/** `path message; …` from a -32602's `data.issues` (the SDK's shape), or undefined when it has none. */
function refusedConfigFields(r: Response): string | undefined {
  const issues = (r.error?.data as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  return issues
    .map((i: { path?: unknown; message?: unknown }) => `${String(i.path ?? '/')} ${String(i.message ?? '')}`)
    .join('; ');
}

/** initialize that must succeed for the rest of a check to mean anything. */
export async function initializeOrNotTestable(
  s: PluginSession,
  overrides: JsonObject = {},
  timeoutMs?: number,
): Promise<Response> {
  const { response } = await s.initialize(overrides, timeoutMs).catch((err: Error) => {
    throw new NotTestable(err.message);
  });
  if (response.error) throw new NotTestable(`initialize failed: ${describe(response)}`);
  return response;
}

const refusesWithoutCookie: CheckImpl = {
  id: 'lifecycle.refuses-without-cookie',
  needsHandshake: false,
  async run(ctx) {
    const s = ctx.spawn({ cookie: false });
    // A plugin that reads stdin despite the missing cookie would answer this.
    s.sendRaw(s.requestLine(Methods.initialize, s.initializeParams()).line);
    // Starting up may take as long as a handshake may (and longer on a busy machine); a correct plugin exits
    // long before, so only a plugin that does not exit costs the full wait.
    const allowance = Math.max(ctx.timeouts.handshakeMs, MIN_START_ALLOWANCE_MS);
    const exit = await s.waitExit(allowance);
    const problems: string[] = [];
    if (!exit) problems.push(`still running ${allowance} ms after it was started without the cookie`);
    else if (exit.code !== 1) problems.push(`exited with ${how(exit)}, expected status 1`);
    const lines = s.stderr
      .toString()
      .split('\n')
      .filter((l) => l.trim());
    if (lines.length === 0)
      problems.push('printed nothing on stderr (expected one line saying what it is and how it is started)');
    if (s.received.length > 0)
      problems.push('answered on stdout: it read stdin although the cookie was missing');
    return problems.length
      ? fail(problems.join('; '), lines.slice(0, 3))
      : pass(`exited with status 1 in ${exit!.ms} ms and said: ${lines[0]!.slice(0, 200)}`);
  },
};

const initializeWithinDeadline: CheckImpl = {
  id: 'lifecycle.initialize-within-deadline',
  needsHandshake: false,
  async run(ctx) {
    const { response, ms, problem } = ctx.probe;
    if (!response) return fail(problem ?? 'no answer to initialize');
    if (response.error && errorCode(response) === ErrorCodes.InvalidParams) {
      // Every path the plugin refused, in full: the one-line description would cut the second typo off.
      const issues = refusedConfigFields(response);
      const what = issues
        ? `refused its config (-32602): ${issues}`
        : `answered initialize with ${describe(response)}`;
      const hint = isEmptyObject(ctx.config)
        ? ' — does the plugin need a config? pass --config FILE'
        : ' — correct the config file given with --config';
      return fail(`${what}${hint}`);
    }
    if (response.error) return fail(`answered initialize with ${describe(response)}`);
    return pass(`answered initialize ${ms} ms after it was started`);
  },
};

const initializeFast: CheckImpl = {
  id: 'lifecycle.initialize-fast',
  needsHandshake: true,
  async run(ctx) {
    const ms = ctx.probe.ms ?? Number.POSITIVE_INFINITY;
    return ms <= ctx.timeouts.initializeFastMs
      ? pass(`answered initialize ${ms} ms after it was started`)
      : fail(
          `took ${ms} ms from start to its initialize answer (should be well under ${ctx.timeouts.initializeFastMs} ms)`,
        );
  },
};

/** A field no plugin declares: R-L4 says it is refused, or an operator's typo would do nothing in silence. */
const UNKNOWN_CONFIG_FIELD = 'routerdConformanceUnknownField';

const unknownConfigFieldRefused: CheckImpl = {
  id: 'lifecycle.unknown-config-field-refused',
  needsHandshake: true,
  async run(ctx) {
    const path = `/config/${UNKNOWN_CONFIG_FIELD}`;
    const config = { ...ctx.config, [UNKNOWN_CONFIG_FIELD]: true };
    const { response } = await ctx.spawn().initialize({ config });
    if (!response.error) {
      return fail(
        `accepted the config field ${UNKNOWN_CONFIG_FIELD}, which it does not declare: a misspelt field in an operator's config would do nothing. Answer -32602 naming ${path} (the SDK does, unless acceptUnknownConfigFields is set); a plugin whose config is open by design lists this check in --expected-failures`,
      );
    }
    if (errorCode(response) !== ErrorCodes.InvalidParams)
      return fail(`answered ${describe(response)}; expected -32602 naming ${path}`);
    return JSON.stringify(response.error).includes(path)
      ? pass(`refused it with -32602 naming ${path}`)
      : fail(`answered -32602 without naming ${path}: ${describe(response)}`);
  },
};

const versionNegotiation: CheckImpl = {
  id: 'lifecycle.version-negotiation',
  needsHandshake: true,
  async run(ctx) {
    // Offer only v1, then v1 and a future v2: a v1 plugin must pick 1 in both cases, never a version not offered.
    const offers = [
      { protocolVersion: 1, supportedProtocolVersions: [1] },
      { protocolVersion: 2, supportedProtocolVersions: [1, 2] },
    ];
    const problems = await Promise.all(
      offers.map(async (offer) => {
        const { response } = await ctx.spawn().initialize(offer);
        const label = `offered ${JSON.stringify(offer.supportedProtocolVersions)}`;
        if (response.error)
          return `${label}: answered ${describe(response)}, although it speaks a version that was offered`;
        const chosen = (response.result as JsonObject | undefined)?.protocolVersion;
        if (typeof chosen !== 'number' || !offer.supportedProtocolVersions.includes(chosen)) {
          return `${label}: chose protocolVersion ${JSON.stringify(chosen)}, which the host did not offer`;
        }
        return undefined;
      }),
    );
    const found = problems.filter((p): p is string => p !== undefined);
    return found.length ? fail(found.join('; ')) : pass('chose an offered version each time');
  },
};

const unsupportedVersionRefused: CheckImpl = {
  id: 'lifecycle.unsupported-version-refused',
  needsHandshake: true,
  async run(ctx) {
    const { response } = await ctx
      .spawn()
      .initialize({ protocolVersion: 99, supportedProtocolVersions: [99] });
    if (errorCode(response) !== ErrorCodes.UnsupportedProtocolVersion) {
      return fail(`offered only version 99, got ${describe(response)}; expected error -32022`);
    }
    const data = response.error?.data as JsonObject | undefined;
    const supportedOk = Array.isArray(data?.supported) && data.supported.every((v) => Number.isInteger(v));
    if (!supportedOk || data?.requested !== 99) {
      return fail(`-32022 without data {supported: [...], requested: 99}: data was ${JSON.stringify(data)}`);
    }
    return pass(`refused with -32022, supported ${JSON.stringify(data.supported)}`);
  },
};

const declaredWithinGranted: CheckImpl = {
  id: 'lifecycle.declared-within-granted',
  needsHandshake: true,
  async run(ctx) {
    const declared = ctx.probe.declared;
    if (!declared) throw new NotTestable('the initialize result has no list of capabilities');
    // A reserved capability is the plugin's mistake (R-C1); a v1 one that --grant withholds is the
    // operator's choice, which a host enforces by refusing the plugin (R-L5).
    if (declared.includes(RESERVED))
      return fail(
        `declares ${RESERVED}, which v1 reserves for a later executor protocol: a host refuses to start it; remove it from the capabilities the initialize result lists`,
        [],
        ['R-C1'],
      );
    const ungranted = declared.filter((c) => !ctx.granted.includes(c));
    return ungranted.length
      ? fail(
          `declares ${ungranted.join(', ')}, which ${ungranted.length > 1 ? 'are' : 'is'} not granted (granted: ${ctx.granted.join(', ') || 'nothing'}); a host refuses to start it: grant ${ungranted.length > 1 ? 'them' : 'it'} (--grant, the Plugin's spec.capabilities) or use a plugin that needs less`,
          [],
          ['R-L5'],
        )
      : pass(`declares ${declared.join(', ') || 'no capabilities'}, all granted`);
  },
};

const gatedBeforeInitialized: CheckImpl = {
  id: 'lifecycle.gated-before-initialized',
  needsHandshake: true,
  async run(ctx) {
    const s = ctx.spawn();
    const problems: string[] = [];
    const before = await s.request(Methods.run, baseRequest(ctx.timeouts.requestMs));
    if (errorCode(before) !== ErrorCodes.NotInitialized)
      problems.push(`plugin/run before initialize: ${describe(before)}`);
    await initializeOrNotTestable(s);
    const between = await s.request(Methods.run, baseRequest(ctx.timeouts.requestMs));
    if (errorCode(between) !== ErrorCodes.NotInitialized) {
      problems.push(`plugin/run after initialize but before notifications/initialized: ${describe(between)}`);
    }
    await s.quiet(ctx.timeouts.quietMs);
    if (s.received.some((m) => m.method === Methods.publish))
      problems.push('sent events/publish before notifications/initialized');
    return problems.length
      ? fail(`expected -32030: ${problems.join('; ')}`)
      : pass('refused plugin/run with -32030 before initialized');
  },
};

const ping: CheckImpl = {
  id: 'lifecycle.ping',
  needsHandshake: true,
  async run(ctx) {
    const s = ctx.spawn();
    await initializeOrNotTestable(s);
    const early = await s.request(Methods.ping, {});
    s.notify(Methods.initialized, {});
    const later = await s.request(Methods.ping, {});
    const problems = [
      ['before notifications/initialized', early],
      ['after notifications/initialized', later],
    ]
      .filter(([, r]) => !isEmptyObject((r as Response).result))
      .map(([when, r]) => `${when}: ${describe(r as Response)}`);
    return problems.length
      ? fail(`expected {}: ${problems.join('; ')}`)
      : pass('answered {} before and after initialized');
  },
};

const shutdown: CheckImpl = {
  id: 'lifecycle.shutdown',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    const bye = await s.request(Methods.shutdown, {});
    if (!isEmptyObject(bye.result)) return fail(`answered shutdown with ${describe(bye)}, expected {}`);
    const after = await s.request(Methods.run, baseRequest(ctx.timeouts.requestMs));
    if (errorCode(after) !== ErrorCodes.ShuttingDown)
      return fail(`plugin/run after shutdown: ${describe(after)}, expected -32033`);
    return pass('answered {} and then refused plugin/run with -32033');
  },
};

const exitsOnStdinEof: CheckImpl = {
  id: 'lifecycle.exits-on-stdin-eof',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    const closedAt = s.ms;
    s.closeStdin();
    // A little slack for the scheduler of a busy machine; the report shows the real time.
    const exit = await s.waitExit(ctx.timeouts.exitMs + 100);
    if (!exit) return fail(`still running ${ctx.timeouts.exitMs} ms after its stdin was closed`);
    const took = exit.ms - closedAt;
    if (exit.code !== 0) return fail(`exited ${took} ms after EOF with ${how(exit)}, expected status 0`);
    return pass(`exited with status 0 ${took} ms after EOF`);
  },
};

const noProcessLeftInGroup: CheckImpl = {
  id: 'lifecycle.no-process-left-in-group',
  needsHandshake: true,
  async run(ctx) {
    const s = await ctx.open();
    await s.request(Methods.shutdown, {}).catch(() => undefined);
    s.closeStdin();
    let exit = await s.waitExit(ctx.timeouts.exitMs);
    // Whether it exits on EOF is another check; end only the plugin's own process so its group stays visible.
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (exit) break;
      s.signalPlugin(signal);
      exit = await s.waitExit(1000);
    }
    if (!exit) throw new NotTestable('the plugin process did not end even after SIGKILL');
    return await groupVerdict(ctx, s);
  },
};

async function groupVerdict(ctx: CheckContext, s: PluginSession): Promise<Verdict> {
  // Children that are exiting on their own (they saw EOF too) get a moment.
  const deadline = Date.now() + Math.min(500, ctx.timeouts.exitMs);
  let members = s.groupMembers();
  while (members.length && Date.now() < deadline) {
    await s.quiet(50);
    members = s.groupMembers();
  }
  return members.length
    ? fail(`left ${members.length} process(es) running in its process group after it exited`, members)
    : pass('nothing was left in its process group');
}

export const lifecycleChecks: CheckImpl[] = [
  refusesWithoutCookie,
  initializeWithinDeadline,
  initializeFast,
  unknownConfigFieldRefused,
  versionNegotiation,
  unsupportedVersionRefused,
  declaredWithinGranted,
  gatedBeforeInitialized,
  ping,
  shutdown,
  exitsOnStdinEof,
  noProcessLeftInGroup,
];
