import { API_VERSION_PLUGIN, EventTypes } from '../protocol/constants.js';
import { addressSlug } from '../protocol/ip.js';
import type { Event } from '../protocol/schemas/event.js';
import type { PluginRequest, PluginResult } from '../protocol/schemas/messages.js';
import type { ActionPlan } from '../protocol/schemas/resources.js';
import type { PluginDefinition } from '../server/define-plugin.js';
import { goldenText, readGolden } from './golden.js';
import { createTestHost } from './index.js';
import type { LoopbackServer } from './loopback-server.js';

/** The cloud subnet every scenario assumes (give the plugin an identity in it). */
export const SCENARIO_SUBNET = '10.88.60.0/24';
/** The router's own primary address in that subnet. */
export const SCENARIO_OWN_ADDRESS = '10.88.60.4';
/** Scenario time zero: every event and request time is fixed, so results are byte-identical run to run. */
export const SCENARIO_EPOCH = '2026-11-27T06:00:00Z';

const at = (seconds: number) => new Date(Date.parse(SCENARIO_EPOCH) + seconds * 1000).toISOString();

type Kind = 'observed' | 'expired';

/** A client event at SCENARIO_EPOCH + `second`, with a fixed id; `payload` overrides fields. */
export function scenarioEvent(
  kind: Kind,
  address: string,
  second: number,
  payload: Record<string, unknown> = {},
): Event {
  return {
    id: `ev-${kind}-${addressSlug(address)}-${second}`,
    group: 'edge',
    sourceNode: 'onprem',
    type: kind === 'observed' ? EventTypes.clientIpv4Observed : EventTypes.clientIpv4Expired,
    subject: address,
    dedupeKey: `lan/${address}`,
    payload: {
      address,
      domain: 'lan',
      ownerSide: 'onprem',
      source: 'arp',
      mac: '52:54:00:12:34:56',
      ...payload,
    },
    observedAt: at(second),
    expiresAt: at(second + 300),
  };
}

export function scenarioRequest(name: string, events: Event[]): PluginRequest {
  const last = Math.max(
    0,
    ...events.map((e) => (Date.parse(e.observedAt) - Date.parse(SCENARIO_EPOCH)) / 1000),
  );
  return {
    apiVersion: API_VERSION_PLUGIN,
    kind: 'PluginRequest',
    metadata: { name: `scenario-${name}`, requestId: `scenario-${name}` },
    spec: {
      trigger: { type: 'event', subscription: 'onprem-clients' },
      events,
      now: at(last + 1),
      // The SDK measures the deadline against the wall clock, and the deadline is not part of any output.
      deadline: new Date(Date.now() + 600_000).toISOString(),
    },
  };
}

export interface ClaimScenario {
  name: string;
  description: string;
  request: PluginRequest;
  expect: {
    /** RemoteAddressClaim names, in order. */
    claims: string[];
    /** `action address` (or just `action` for forwarding), in order. */
    plans: string[];
    /** Each error diagnostic names one of these, and each of these is named by one. */
    diagnosticsNaming: string[];
  };
}

const A = '10.88.60.9/32';
const ASSIGN = `assign-secondary-ip ${A}`;
const UNASSIGN = `unassign-secondary-ip ${A}`;
const FORWARD = 'ensure-forwarding-enabled';

/**
 * The event batches every address-claim plugin is held to: provision, refresh, teardown, flapping, and
 * each scope rule. Providers differ only in the plans' commands, which their golden files pin.
 */
export function addressClaimScenarios(): ClaimScenario[] {
  const s = (name: string, description: string, events: Event[], expect: ClaimScenario['expect']) => ({
    name,
    description,
    request: scenarioRequest(name, events),
    expect,
  });
  const none = { claims: [], plans: [], diagnosticsNaming: [] };
  return [
    s(
      'observed',
      'a new client: its claim, an assign plan and the forwarding plan',
      [scenarioEvent('observed', A, 0)],
      {
        ...none,
        claims: ['onprem-10-88-60-9'],
        plans: [ASSIGN, FORWARD],
      },
    ),
    s(
      'observed-refresh',
      'the same client seen again: the same claim and plans, the same keys',
      [scenarioEvent('observed', A, 0), scenarioEvent('observed', A, 150)],
      { ...none, claims: ['onprem-10-88-60-9'], plans: [ASSIGN, FORWARD] },
    ),
    s('expired', 'a client gone: only a teardown plan, no claim', [scenarioEvent('expired', A, 400)], {
      ...none,
      plans: [UNASSIGN],
    }),
    s(
      'flapping',
      'observed, expired, observed (out of order in the batch): the last word is present',
      [scenarioEvent('observed', A, 20), scenarioEvent('observed', A, 0), scenarioEvent('expired', A, 10)],
      { ...none, claims: ['onprem-10-88-60-9'], plans: [ASSIGN, FORWARD] },
    ),
    s(
      'flap-then-leave',
      'observed, expired, observed, expired: a teardown plan after the last observation',
      [
        scenarioEvent('observed', A, 0),
        scenarioEvent('expired', A, 10),
        scenarioEvent('observed', A, 20),
        scenarioEvent('expired', A, 210),
      ],
      { ...none, plans: [UNASSIGN] },
    ),
    s(
      'several-clients',
      'two arrive and one leaves: plans in address order, one forwarding plan',
      [
        scenarioEvent('observed', '10.88.60.10/32', 0),
        scenarioEvent('expired', '10.88.60.11/32', 0),
        scenarioEvent('observed', A, 0),
      ],
      {
        ...none,
        claims: ['onprem-10-88-60-9', 'onprem-10-88-60-10'],
        plans: [
          ASSIGN,
          'assign-secondary-ip 10.88.60.10/32',
          'unassign-secondary-ip 10.88.60.11/32',
          FORWARD,
        ],
      },
    ),
    s(
      'out-of-subnet',
      'an address outside the cloud subnet: a diagnostic, nothing planned',
      [scenarioEvent('observed', '192.0.2.10/32', 0)],
      { ...none, diagnosticsNaming: ['192.0.2.10/32'] },
    ),
    s(
      'neighbour-subnet',
      "an address in allowedCidrs (10.88.0.0/16 in the contract's config) but outside the NIC's subnet: a diagnostic, nothing planned",
      [scenarioEvent('observed', '10.88.61.5/32', 0)],
      { ...none, diagnosticsNaming: ['10.88.61.5/32'] },
    ),
    s(
      'reserved-addresses',
      "the subnet's gateway and broadcast address (reserved by every provider): a diagnostic each, nothing planned",
      [scenarioEvent('observed', '10.88.60.1/32', 0), scenarioEvent('observed', '10.88.60.255/32', 0)],
      { ...none, diagnosticsNaming: ['10.88.60.1/32', '10.88.60.255/32'] },
    ),
    s(
      'own-address',
      "the router's own address: a diagnostic, nothing planned",
      [scenarioEvent('observed', `${SCENARIO_OWN_ADDRESS}/32`, 0)],
      { ...none, diagnosticsNaming: [`${SCENARIO_OWN_ADDRESS}/32`] },
    ),
    s(
      'malformed',
      'a network instead of a /32, a bad address, a bare address, a bad MAC; the good one is still planned',
      [
        scenarioEvent('observed', '10.88.60.0/24', 0),
        scenarioEvent('observed', '10.88.60.300/32', 0),
        scenarioEvent('observed', '10.88.60.12', 0),
        scenarioEvent('observed', '10.88.60.13/32', 0, { mac: 'not-a-mac' }),
        scenarioEvent('observed', A, 0),
      ],
      {
        claims: ['onprem-10-88-60-9'],
        plans: [ASSIGN, FORWARD],
        diagnosticsNaming: ['10.88.60.0/24', '10.88.60.300/32', '10.88.60.12', '10.88.60.13/32'],
      },
    ),
    s('no-events', 'a manual run without events: an empty, valid result', [], none),
  ];
}

/** What differs between a result and the scenario's expectation; empty when it fits. */
export function scenarioProblems(status: PluginResult['status'], scenario: ClaimScenario): string[] {
  const problems: string[] = [];
  const same = (what: string, got: string[], want: string[]) => {
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  same(
    'claims',
    (status.resources ?? []).map((r) => r.metadata.name),
    scenario.expect.claims,
  );
  same(
    'plans',
    (status.actionPlans ?? []).map((p) => (p.target.address ? `${p.action} ${p.target.address}` : p.action)),
    scenario.expect.plans,
  );
  const errors = (status.diagnostics ?? []).filter((d) => d.severity === 'error').map((d) => d.summary);
  for (const address of scenario.expect.diagnosticsNaming) {
    if (!errors.some((e) => e.includes(address))) problems.push(`no error diagnostic names ${address}`);
  }
  for (const e of errors) {
    if (!scenario.expect.diagnosticsNaming.some((a) => e.includes(a)))
      problems.push(`unexpected error diagnostic: ${e}`);
  }
  for (const p of status.actionPlans ?? []) {
    const want = p.action === 'unassign-secondary-ip' ? 'teardown' : 'provision';
    if (p.phase !== want) problems.push(`${p.name}: phase ${p.phase}, want ${want}`);
    if (p.mode !== 'dry-run') problems.push(`${p.name}: mode ${p.mode}`);
  }
  return problems;
}

export interface ScenarioCheck {
  problems: string[];
  /** The committed golden text and this run's text: equal byte for byte when nothing changed. */
  expected: string;
  actual: string;
  /** The text of a second run of the same request: equal to `actual` for a deterministic plugin. */
  secondRun: string;
}

/** Run a scenario twice against a plugin and compare with its expectation and its golden file. */
export async function checkClaimScenario(
  run: (request: PluginRequest) => Promise<PluginResult>,
  scenario: ClaimScenario,
  goldenFile: string,
): Promise<ScenarioCheck> {
  const first = await run(scenario.request);
  const second = await run(scenario.request);
  const { expected, actual } = readGolden(goldenFile, first.status);
  return {
    problems: scenarioProblems(first.status, scenario),
    expected,
    actual,
    secondRun: goldenText(second.status),
  };
}

/** The plans of the `observed` and `expired` scenarios by action: one of each kind, for command tests. */
export async function scenarioPlansByAction<Config>(
  plugin: PluginDefinition<Config>,
  config: Record<string, unknown>,
): Promise<Map<ActionPlan['action'], ActionPlan>> {
  const host = await createTestHost(plugin, { config });
  const plans = new Map<ActionPlan['action'], ActionPlan>();
  try {
    for (const scenario of addressClaimScenarios().filter(
      (s) => s.name === 'observed' || s.name === 'expired',
    )) {
      for (const plan of (await host.run(scenario.request)).status.actionPlans ?? [])
        plans.set(plan.action, plan);
    }
  } finally {
    await host.close();
  }
  return plans;
}

/**
 * Run one request against a plugin whose identity comes from a metadata server (a fake on 127.0.0.1):
 * `metadataUrl` points at it and discovery times out after 300 ms. Closes the plugin, not the server.
 */
export async function runWithMetadata<Config>(
  plugin: PluginDefinition<Config>,
  server: LoopbackServer,
  config: Record<string, unknown>,
  request: PluginRequest = addressClaimScenarios()[0]!.request,
): Promise<PluginResult['status']> {
  const host = await createTestHost(plugin, {
    config: { ...config, metadataUrl: server.url, metadataTimeout: '300ms' },
  });
  try {
    return (await host.run(request)).status;
  } finally {
    await host.close();
  }
}
