import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { RunOptions } from '../client/host-session.js';
import { HostSession } from '../client/host-session.js';
import { PluginProcess } from '../client/plugin-process.js';
import { API_VERSION_PLUGIN } from '../protocol/constants.js';
import { type Event, EventDraft } from '../protocol/schemas/event.js';
import type {
  Capability,
  InitializeResult,
  PluginRequest,
  PluginResult,
  PublishEnvelope,
  PublishParams,
  PublishResult,
} from '../protocol/schemas/messages.js';
import type { PlanAction } from '../protocol/schemas/resources.js';
import { formatIssues, validate } from '../protocol/validate.js';
import type { PluginDefinition } from '../server/define-plugin.js';
import { createStderrLogger } from '../server/logger.js';
import { serve } from '../server/serve.js';

export interface TestHostOptions {
  granted?: Capability[];
  config?: Record<string, unknown>;
  /** Answer for events/publish about the valid drafts; by default each is accepted (invalid ones are rejected). */
  onPublish?: (params: PublishParams) => PublishResult | Promise<PublishResult>;
  /** What the test host says it accepts at initialize (SessionOptions.planActions; false: as an older host). */
  planActions?: readonly PlanAction[] | false;
}

/** The same surface whether the plugin runs in-process or as a real child process. */
export interface TestHost {
  initializeResult: InitializeResult;
  run(request?: Partial<RequestInit> | PluginRequest, options?: RunOptions): Promise<PluginResult>;
  ping(): Promise<void>;
  /** Every event the plugin published, in order. */
  published: EventDraft[];
  close(): Promise<void>;
}

export interface RequestInit {
  events: Event[];
  trigger: PluginRequest['spec']['trigger'];
  /** From the wall clock: the deadline (`spec.deadline`) is this long after the real now. */
  timeoutMs: number;
  /** `spec.now`; a fixed one keeps outputs deterministic. The deadline still follows the wall clock (R-X2). */
  now: Date;
}

/** A valid PluginRequest with sensible defaults. */
export function makeRequest(init: Partial<RequestInit> = {}): PluginRequest {
  const now = init.now ?? new Date();
  const id = randomUUID();
  return {
    apiVersion: API_VERSION_PLUGIN,
    kind: 'PluginRequest',
    metadata: { name: `test-${id.slice(0, 8)}`, requestId: id },
    spec: {
      trigger: init.trigger ?? { type: 'manual' },
      events: init.events ?? [],
      now: now.toISOString(),
      deadline: new Date(Date.now() + (init.timeoutMs ?? 10_000)).toISOString(),
    },
  };
}

/** A valid Event with defaults; override any field. */
export function makeEvent(partial: Partial<Event> & Pick<Event, 'type' | 'payload'>): Event {
  const observedAt = partial.observedAt ?? new Date().toISOString();
  return {
    id: partial.id ?? `ev-${randomUUID()}`,
    group: partial.group ?? 'test',
    sourceNode: partial.sourceNode ?? 'onprem',
    observedAt,
    expiresAt: partial.expiresAt ?? new Date(Date.parse(observedAt) + 300_000).toISOString(),
    ...partial,
  };
}

const ALL: Capability[] = ['observe.events', 'propose.dynamicConfig', 'propose.providerAction'];

function collectPublishes(opts: TestHostOptions, published: EventDraft[]) {
  // Like a real host (protocol §7): each draft is judged on its own, an invalid one rejected alone.
  return async (params: PublishEnvelope): Promise<PublishResult> => {
    const valid: EventDraft[] = [];
    const rejected: PublishResult['rejected'] = [];
    params.events.forEach((draft, i) => {
      const v = validate(EventDraft, draft, `/events/${i}`);
      if (v.ok) valid.push(v.value);
      else {
        const id = (draft as { id?: unknown } | null)?.id;
        rejected.push({ id: typeof id === 'string' ? id : `/events/${i}`, reason: formatIssues(v.issues) });
      }
    });
    published.push(...valid);
    if (valid.length === 0) return { accepted: [], duplicates: [], rejected };
    const answer: PublishResult = opts.onPublish
      ? await opts.onPublish({ events: valid } as PublishParams)
      : {
          accepted: valid.map((e, i) => e.id ?? `published-${published.length - valid.length + i}`),
          duplicates: [],
          rejected: [],
        };
    return { ...answer, rejected: [...rejected, ...answer.rejected] };
  };
}

/** What the test host says and does at the session level, in-process or spawned alike. */
function testHostSession(opts: TestHostOptions, published: EventDraft[]) {
  return {
    host: { name: 'test-host', version: '0' },
    granted: opts.granted ?? ALL,
    config: opts.config ?? {},
    onPublish: collectPublishes(opts, published),
    ...(opts.planActions === undefined ? {} : { planActions: opts.planActions }),
  };
}

function asRequest(r: Partial<RequestInit> | PluginRequest | undefined): PluginRequest {
  return r && 'kind' in r ? r : makeRequest(r as Partial<RequestInit> | undefined);
}

/**
 * Run a plugin definition in this process over in-memory streams: breakpoints and coverage work. `logs`
 * holds the plugin's log lines (JSON, one per entry) as it would write them on stderr as a child.
 */
export async function createTestHost<Config>(
  plugin: PluginDefinition<Config>,
  opts: TestHostOptions = {},
): Promise<TestHost & { logs: readonly string[] }> {
  const toPlugin = new PassThrough();
  const toHost = new PassThrough();
  const published: EventDraft[] = [];
  const logs: string[] = [];
  const handle = serve(plugin, {
    input: toPlugin,
    output: toHost,
    log: createStderrLogger((l) => logs.push(l)),
  });
  const session = new HostSession(toHost, toPlugin, {
    pluginName: plugin.name,
    ...testHostSession(opts, published),
  });
  const initializeResult = await session.handshake(5000);
  return {
    initializeResult,
    published,
    logs,
    run: (r, o) => session.run(asRequest(r), o),
    ping: () => session.ping(),
    close: async () => {
      await session.shutdown(500);
      toPlugin.end();
      handle.close();
      await handle.closed;
    },
  };
}

/** Run a built plugin as a real child process through the same host code the daemon uses. */
export async function spawnTestHost(
  command: { executable: string; args?: string[]; env?: Record<string, string> },
  opts: TestHostOptions = {},
): Promise<TestHost & { process: PluginProcess }> {
  const published: EventDraft[] = [];
  const proc = new PluginProcess({
    executable: command.executable,
    args: command.args,
    env: command.env,
    pluginName: command.executable,
    ...testHostSession(opts, published),
  });
  const initializeResult = await proc.start();
  return {
    process: proc,
    initializeResult,
    published,
    run: (r, o) => proc.run(asRequest(r), o),
    ping: () => proc.ping(),
    close: async () => {
      await proc.stop();
    },
  };
}

export * from './address-claim-contract.js';
export * from './address-claim-scenarios.js';
export * from './golden.js';
export * from './loopback-server.js';
export * from './metadata-modes.js';
export * from './plan-runner.js';
