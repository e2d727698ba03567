/** Everything the page shows, read at one moment from the control API (GET routes only). */
import {
  type ActionsResponse,
  ControlRoutes,
  type DeliveriesSummaryResponse,
  type DynamicPartsResponse,
  type ExecutionsResponse,
  type ListEventsResponse,
  type PeersResponse,
  type PluginsResponse,
  type RenderResponse,
  type StatusResponse,
  type SubscriptionRunsResponse,
  type TraceQuery,
  type TraceResponse,
} from '@routerd/host-wire';
import type { ControlGet } from './control-reader.js';

/** Rows per list on the page: the newest; the CLI lists the rest. */
export const PAGE_ROWS = 20;

export interface ClaimRow {
  name: string;
  address: string;
  domain: string;
  ownerNode: string;
  source: string;
}

export interface StatusSnapshot {
  /** When it was read (the daemon's clock). */
  at: string;
  status: StatusResponse;
  peers: PeersResponse['peers'];
  outbox: DeliveriesSummaryResponse['peers'];
  plugins: PluginsResponse['plugins'];
  runs: SubscriptionRunsResponse['runs'];
  events: ListEventsResponse['events'];
  parts: DynamicPartsResponse['parts'];
  claims: ClaimRow[];
  actions: ActionsResponse['actions'];
  /** The action journal's newest executions (empty: the section is left out). */
  executions: ExecutionsResponse['executions'];
}

/** The held claims are the RemoteAddressClaims of the effective config. */
function claimsOf(render: RenderResponse): ClaimRow[] {
  return render.resources
    .filter((r) => r.kind === 'RemoteAddressClaim')
    .map((r) => {
      const spec = r.spec as { address?: string; domain?: string; ownerNode?: string };
      return {
        name: r.metadata.name,
        address: spec.address ?? '',
        domain: spec.domain ?? '',
        ownerNode: spec.ownerNode ?? '',
        source: r.metadata.annotations?.['routerd.net/dynamic-source'] ?? '',
      };
    });
}

/** One client's journey on this node: GET /v1/trace, the data `routerctl trace` prints. */
export function readTrace(get: ControlGet, query: TraceQuery): Promise<TraceResponse> {
  const params = new URLSearchParams(query as Record<string, string>);
  return get<TraceResponse>(`${ControlRoutes.trace}?${params}`);
}

export async function readSnapshot(get: ControlGet, now: () => number): Promise<StatusSnapshot> {
  const [status, peers, outbox, plugins, runs, events, parts, render, actions, executions] =
    await Promise.all([
      get<StatusResponse>(ControlRoutes.status),
      get<PeersResponse>(ControlRoutes.peers),
      get<DeliveriesSummaryResponse>(ControlRoutes.deliveriesSummary),
      get<PluginsResponse>(ControlRoutes.plugins),
      get<SubscriptionRunsResponse>(`${ControlRoutes.subscriptionRuns}?limit=${PAGE_ROWS}`),
      get<ListEventsResponse>(`${ControlRoutes.events}?limit=${PAGE_ROWS}`),
      get<DynamicPartsResponse>(ControlRoutes.dynamicParts),
      get<RenderResponse>(ControlRoutes.dynamicRender),
      get<ActionsResponse>(ControlRoutes.actions),
      get<ExecutionsResponse>(`${ControlRoutes.executions}?limit=${PAGE_ROWS}`),
    ]);
  return {
    at: new Date(now()).toISOString(),
    status,
    peers: peers.peers,
    outbox: outbox.peers,
    plugins: plugins.plugins,
    runs: runs.runs,
    events: events.events,
    parts: parts.parts.filter((p) => p.state === 'active'),
    claims: claimsOf(render),
    actions: actions.actions,
    executions: executions.executions,
  };
}
