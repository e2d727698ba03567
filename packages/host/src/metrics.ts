import { PeerStateNames } from '@routerd/host-wire';
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
  };
  return m;
}
export type Metrics = ReturnType<typeof createMetrics>;
