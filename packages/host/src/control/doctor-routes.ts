/** GET /v1/doctor/federation: gathers what the daemon knows, probes each peer, and lets doctor/ judge it. */
import { statSync } from 'node:fs';
import { Router } from 'express';
import type { FederationConfig } from '../config/index.js';
import { type ConfigState, federationDoctor, type PeerObservation } from '../doctor/federation.js';
import { probeHealth } from '../doctor/probe.js';
import type { Federation } from '../federation/service.js';
import type { PluginHost } from '../plugins/plugin-host.js';
import { stateDiskSpace } from '../state-disk.js';
import type { SubscriptionRunStore } from '../store/subscription-runs.js';
import { ControlRoutes, type DoctorResponse } from './api.js';

export interface DoctorRouteDeps {
  federation: Federation;
  config: () => FederationConfig;
  now: () => number;
  plugins?: PluginHost;
  subscriptionRuns?: SubscriptionRunStore;
  /** The daemon's state directory: its filesystem's free space is checked. */
  stateDir?: string;
  /** Whether the files on disk are the config in force (config-current). */
  configState?: () => ConfigState;
}

/** Counting reads at most this many ledger rows per status: enough to tell "some" from "many". */
const COUNT_LIMIT = 10_000;

export function doctorRoutes(deps: DoctorRouteDeps): Router {
  const router = Router();
  router.get(ControlRoutes.doctorFederation, async (_req, res) => {
    const config = deps.config();
    const { federation } = deps;
    const recorded = new Map(federation.deliveries.peerStates().map((p) => [p.peer, p]));
    const live = new Map(federation.workerStates().map((w) => [w.peer, w]));
    // Probes run in parallel: a report costs at most one probe timeout however many peers are down.
    const peers: PeerObservation[] = await Promise.all(
      config.peers.map(async ({ resource: p }) => {
        const r = recorded.get(p.metadata.name);
        const worker = live.get(p.metadata.name);
        const state = worker?.state ?? 'no-key';
        return {
          peer: p.metadata.name,
          endpoint: p.spec.endpoint,
          state,
          ...(worker?.refusal ? { refusal: worker.refusal } : {}),
          consecutiveFailures: r?.consecutiveFailures ?? 0,
          lastSuccessAt: r?.lastSuccessAt ?? null,
          lastError: r?.lastError ?? null,
          ...(state === 'no-key' ? {} : { probe: await probeHealth(p.spec.endpoint) }),
        };
      }),
    );
    const now = deps.now();
    const response: DoctorResponse = federationDoctor({
      config,
      now,
      peers,
      deliveries: federation.deliveries.summary(federation.peerNames(), now),
      subscriptionRuns: countRuns(deps.subscriptionRuns),
      plugins: deps.plugins?.status() ?? [],
      skew: federation.clockSkew.list(),
      fileMode: (path) => {
        try {
          const stats = statSync(path);
          // The daemon refuses a FIFO, directory or device as a key file (regular-file.ts): so does the doctor.
          return stats.isFile() ? stats.mode : { error: 'it is not a regular file' };
        } catch (err) {
          return { error: (err as Error).message };
        }
      },
      ...(deps.stateDir ? { stateDisk: stateDiskSpace(deps.stateDir) } : {}),
      ...(deps.configState ? { configState: deps.configState() } : {}),
    });
    res.json(response);
  });
  return router;
}

function countRuns(runs: SubscriptionRunStore | undefined) {
  const counts = new Map<string, { subscription: string; failed: number; expired: number }>();
  if (!runs) return [];
  for (const status of ['failed', 'expired'] as const) {
    for (const r of runs.list({ status, limit: COUNT_LIMIT })) {
      const c = counts.get(r.subscription) ?? { subscription: r.subscription, failed: 0, expired: 0 };
      c[status]++;
      counts.set(r.subscription, c);
    }
  }
  return [...counts.values()];
}
