/**
 * The control API's plain constants and helpers: routes, file names, limits. No schemas and no
 * dependencies (`@routerd/host-wire/constants`), so a client that needs only these (routerctl on its hot
 * path) starts fast; the schemas and derived types are the package's main entry, which re-exports this.
 */
import type { EventFilter } from './events.js';

export { DB_FILE, type OsDefaults, osDefaults, SOCKET_FILE } from './os-defaults.js';

/** Events a list returns when no limit is asked for, and the most it returns. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;
/** The most events a trace's timeline reads besides its root (a trace may cause many: a plugin's batch). */
export const MAX_TRACE_EVENTS = 1000;
/** The most events one POST /v1/events/batch (or one manual plugin run) carries. */
export const MAX_BATCH_EVENTS = 5000;
/** POST /v1/backup answers with the database itself (a SQLite file), and its schema version in this header. */
export const BACKUP_MEDIA_TYPE = 'application/vnd.sqlite3';
export const SCHEMA_VERSION_HEADER = 'routerd-schema-version';

export const ControlRoutes = {
  events: '/v1/events',
  eventsBatch: '/v1/events/batch',
  event: (id: string) => `/v1/events/${encodeURIComponent(id)}`,
  status: '/v1/status',
  deliveries: '/v1/federation/deliveries',
  deliveriesSummary: '/v1/federation/deliveries/summary',
  peers: '/v1/federation/peers',
  peerRetry: (name: string) => `/v1/federation/peers/${encodeURIComponent(name)}/retry`,
  redeliver: '/v1/federation/redeliver',
  prune: '/v1/federation/prune',
  metrics: '/metrics',
  dynamicParts: '/v1/dynamic/parts',
  dynamicPart: (name: string) => `/v1/dynamic/parts/${encodeURIComponent(name)}`,
  dynamicRender: '/v1/dynamic/render',
  subscriptionRuns: '/v1/subscriptions/runs',
  subscriptionRetry: (name: string) => `/v1/subscriptions/${encodeURIComponent(name)}/retry`,
  actions: '/v1/actions',
  action: (id: string) => `/v1/actions/${encodeURIComponent(id)}`,
  actionDryRun: (id: string) => `/v1/actions/${encodeURIComponent(id)}/dry-run`,
  /** The action journal: executions, newest first; one; approve, reject, undo (POST). */
  executions: '/v1/executions',
  execution: (id: string) => `/v1/executions/${encodeURIComponent(id)}`,
  executionDecision: (id: string, decision: 'approve' | 'reject' | 'undo') =>
    `/v1/executions/${encodeURIComponent(id)}/${decision}`,
  plugins: '/v1/plugins',
  pluginRun: (name: string) => `/v1/plugins/${encodeURIComponent(name)}/run`,
  pluginRuns: '/v1/plugins/runs',
  doctorFederation: '/v1/doctor/federation',
  backup: '/v1/backup',
  trace: '/v1/trace',
} as const;

/** An EventFilter as the query string of GET /v1/events (parsed back by the ListEventsQuery schema). */
export function eventFilterToQuery(filter: EventFilter): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
