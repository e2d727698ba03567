import { PeerStateNames, type PluginState } from '@routerd/host-wire';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every value of routerd_peer_state's `state` label: one series each, so an alert can test `== 1`. */
const PEER_STATES = [...PeerStateNames, 'no-key'] as const;

/**
 * The daemon's Prometheus metrics, served at GET /metrics on the control socket. Labels are bounded:
 * peer names and event types come from config, outcome and reason from fixed lists — never event ids.
 */
export function createMetrics() {
  const registry = new Registry();
  /** Read at scrape time, so the hot path never counts rows just to keep a gauge current. */
  const sources: {
    pending?: () => { peer: string; count: number }[];
    peerStates?: () => { peer: string; state: string }[];
    stateFreeBytes?: () => number | undefined;
    pluginStates?: () => { plugin: string; state: string }[];
    claims?: () => { state: string; count: number }[];
    activeParts?: () => number;
  } = {};
  const m = {
    registry,
    sources,
    eventsStored: new Counter({
      name: 'routerd_events_stored_total',
      help: 'Events newly stored',
      labelNames: ['origin'],
      registers: [registry],
    }),
    deliveryAttempts: new Counter({
      name: 'routerd_delivery_attempts_total',
      help: 'Delivery requests sent to peers, by outcome',
      labelNames: ['peer', 'outcome'],
      registers: [registry],
    }),
    delivered: new Counter({
      name: 'routerd_events_delivered_total',
      help: 'Events acknowledged by a peer',
      labelNames: ['peer'],
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'routerd_delivery_latency_seconds',
      help: 'From event commit to the peer acknowledging it',
      labelNames: ['peer'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'routerd_outbox_pending',
      help: 'Deliveries waiting per peer',
      labelNames: ['peer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of sources.pending?.() ?? []) this.set({ peer: p.peer }, p.count);
      },
    }),
    peerState: new Gauge({
      name: 'routerd_peer_state',
      help: 'Per peer, 1 for its current state (healthy, backing-off, auth-refused: needs the operator, no-key), 0 for the others',
      labelNames: ['peer', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of sources.peerStates?.() ?? [])
          for (const state of PEER_STATES) this.set({ peer: p.peer, state }, p.state === state ? 1 : 0);
      },
    }),
    stateFree: new Gauge({
      name: 'routerd_state_free_bytes',
      help: "Free space on the state directory's filesystem (below 16 MiB the store can fill up: docs/how-to/deploy.md)",
      registers: [registry],
      collect() {
        const free = sources.stateFreeBytes?.();
        if (free !== undefined) this.set(free);
      },
    }),
    eventIdConflicts: new Counter({
      name: 'routerd_event_id_conflicts_total',
      help: 'Events refused because their id already belongs to another event (another source, type, subject or payload)',
      labelNames: ['origin'],
      registers: [registry],
    }),
    receiverAccepted: new Counter({
      name: 'routerd_receiver_events_total',
      help: 'Events received, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    receiverRejected: new Counter({
      name: 'routerd_receiver_events_rejected_total',
      help: 'Events of an accepted request rejected one by one, by reason (expired, time-in-future, id-conflict)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    receiverRefused: new Counter({
      name: 'routerd_receiver_refused_total',
      help: 'Requests refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    pruned: new Counter({
      name: 'routerd_retention_pruned_total',
      help: 'Rows removed by retention',
      labelNames: ['table'],
      registers: [registry],
    }),
    prunedUndelivered: new Counter({
      name: 'routerd_retention_dropped_undelivered_total',
      help: 'Undelivered, unexpired events removed by retention (counted and logged, never silent)',
      registers: [registry],
    }),
    ...pluginMetrics(registry, sources),
    ...dynamicMetrics(registry, sources),
    ...actionMetrics(registry),
  };
  return m;
}

/** Every value of routerd_plugin_state's `state` label (the SDK supervisor's states). */
export const PLUGIN_STATES = [
  'starting',
  'running',
  'backoff',
  'degraded',
  'stopped',
] as const satisfies readonly PluginState[];
/** Fails to compile when the SDK adds a state this list lacks (a state with no series could not alert). */
const everyPluginState: [Exclude<PluginState, (typeof PLUGIN_STATES)[number]>] extends [never]
  ? true
  : never = true;
void everyPluginState;

/** Run durations from a warm call (milliseconds) to a plugin's default timeout and beyond. */
const RUN_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Events per subscription run: 1 up to a maxBatch of thousands. */
const BATCH_EVENTS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

/** Plugins and subscriptions: labels are Plugin and EventSubscription names from config, never event ids. */
function pluginMetrics(
  registry: Registry,
  sources: { pluginStates?: () => { plugin: string; state: string }[] },
) {
  return {
    pluginRuns: new Counter({
      name: 'routerd_plugin_runs_total',
      help: 'Plugin runs, by plugin, trigger (event, interval, manual) and outcome (succeeded, failed, refused, …)',
      labelNames: ['plugin', 'trigger', 'outcome'],
      registers: [registry],
    }),
    pluginRunDuration: new Histogram({
      name: 'routerd_plugin_run_duration_seconds',
      help: 'Wall time of a plugin run, from the request to its answer (or failure)',
      labelNames: ['plugin'],
      buckets: RUN_SECONDS,
      registers: [registry],
    }),
    pluginRestarts: new Counter({
      name: 'routerd_plugin_restarts_total',
      help: 'Unexpected stops of a long-lived plugin that its supervisor restarted',
      labelNames: ['plugin'],
      registers: [registry],
    }),
    pluginState: new Gauge({
      name: 'routerd_plugin_state',
      help: 'Per plugin, 1 for its current state (starting, running, backoff, degraded: needs a spec change, stopped), 0 for the others',
      labelNames: ['plugin', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of sources.pluginStates?.() ?? [])
          for (const state of PLUGIN_STATES) this.set({ plugin: p.plugin, state }, p.state === state ? 1 : 0);
      },
    }),
    subscriptionRuns: new Counter({
      name: 'routerd_subscription_runs_total',
      help: 'Subscription batches handed to their plugin, by outcome (succeeded: its result was applied; failed: retried later)',
      labelNames: ['subscription', 'outcome'],
      registers: [registry],
    }),
    subscriptionBatch: new Histogram({
      name: 'routerd_subscription_batch_events',
      help: 'Events per subscription run',
      labelNames: ['subscription'],
      buckets: BATCH_EVENTS,
      registers: [registry],
    }),
  };
}

/** Every invariant that can refuse a plugin result (dynamic/invariants.ts checkResult, in its order). */
export const INVARIANTS = ['single-writer', 'no-conflict', 'mask-policy'] as const;
export type Invariant = (typeof INVARIANTS)[number];

/** Dynamic parts and address claims: counts only; labels are fixed lists. */
function dynamicMetrics(
  registry: Registry,
  sources: { claims?: () => { state: string; count: number }[]; activeParts?: () => number },
) {
  return {
    claims: new Gauge({
      name: 'routerd_claims',
      help: 'RemoteAddressClaims this node holds, by state (active; releasing: gone, waiting out its teardown grace)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of sources.claims?.() ?? []) this.set({ state: c.state }, c.count);
      },
    }),
    claimsReleased: new Counter({
      name: 'routerd_claims_released_total',
      help: 'Claims released after their teardown grace',
      registers: [registry],
    }),
    activeParts: new Gauge({
      name: 'routerd_dynamic_parts_active',
      help: 'DynamicConfigParts in the effective config now',
      registers: [registry],
      collect() {
        const n = sources.activeParts?.();
        if (n !== undefined) this.set(n);
      },
    }),
    resultsRefused: new Counter({
      name: 'routerd_results_refused_total',
      help: 'Plugin results refused whole, by the invariant that refused them',
      labelNames: ['invariant'],
      registers: [registry],
    }),
  };
}
/** Step attempts: a CLI's start-up (≈0.5 s for aws) up to a step's timeout. */
const STEP_SECONDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

/** Provider actions: labels are providers, plan actions, finished states and plan step ids — never execution ids. */
function actionMetrics(registry: Registry) {
  return {
    actionExecutions: new Counter({
      name: 'routerd_action_executions_total',
      help: 'Finished executions of action plans, by provider, action and outcome (succeeded, already-done, held-elsewhere, failed, cancelled, undone)',
      labelNames: ['provider', 'action', 'outcome'],
      registers: [registry],
    }),
    actionStepDuration: new Histogram({
      name: 'routerd_action_step_duration_seconds',
      help: "Wall time of one attempt of one plan step (or of verify's check), by provider, step id and outcome",
      labelNames: ['provider', 'step', 'outcome'],
      buckets: STEP_SECONDS,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
