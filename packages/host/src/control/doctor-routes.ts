/** GET /v1/doctor/federation: gathers what the daemon knows, probes each peer, and lets doctor/ judge it. */

import { ControlRoutes, DoctorQuery, type DoctorResponse } from '@routerd/host-wire';
import { Router } from 'express';
import type { FederationConfig } from '../config/index.js';
import { readCertificates } from '../doctor/certificate-file.js';
import { type ConfigState, federationDoctor, type PeerObservation } from '../doctor/federation.js';
import { inspectKeyFile, readKeyContents } from '../doctor/key-file.js';
import { inspectToolFile } from '../doctor/tool-file.js';
import type { Federation } from '../federation/service.js';
import type { PluginHost } from '../plugins/plugin-host.js';
import { stateDiskSpace } from '../state-disk.js';
import type { ActionJournal } from '../store/action-journal.js';
import type { DeliveryStore } from '../store/deliveries.js';
import type { SubscriptionRunStore } from '../store/subscription-runs.js';
import { check } from '../validation.js';
import { invalidRequest } from './http-error.js';

export interface DoctorRouteDeps {
  federation: Federation;
  deliveries: DeliveryStore;
  config: () => FederationConfig;
  now: () => number;
  plugins?: PluginHost;
  subscriptionRuns?: SubscriptionRunStore;
  /** The daemon's state directory: its filesystem's free space is checked. */
  stateDir?: string;
  /** Whether the files on disk are the config in force (config-current). */
  configState?: () => ConfigState;
  /** The action journal (action-awaiting-approval, action-failed; action-tool-path from the config). */
  actionJournal?: ActionJournal;
}

/** Counting reads at most this many ledger rows per status: enough to tell "some" from "many". */
const COUNT_LIMIT = 10_000;

export function doctorRoutes(deps: DoctorRouteDeps): Router {
  const router = Router();
  router.get(ControlRoutes.doctorFederation, async (req, res) => {
    const q = check(DoctorQuery, req.query);
    if (!q.ok) throw invalidRequest(q.issues, 'query');
    const { probe } = q.value;
    const config = deps.config();
    const { federation } = deps;
    const recorded = new Map(deps.deliveries.peerStates().map((p) => [p.peer, p]));
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
          ...(state === 'no-key'
            ? {}
            : { probe: await federation.healthProbe(p.metadata.name, p.spec.endpoint) }),
          ...(probe === false ? {} : await signedProbe(federation, p.metadata.name)),
        };
      }),
    );
    const now = deps.now();
    const response: DoctorResponse = federationDoctor({
      config,
      now,
      peers,
      deliveries: deps.deliveries.summary(federation.peerNames(), now),
      subscriptionRuns: countRuns(deps.subscriptionRuns),
      plugins: deps.plugins?.status() ?? [],
      skew: federation.clockSkew.list(),
      refused: federation.refusedRequests.list(now),
      keyFile: inspectKeyFile,
      keyContents: readKeyContents,
      certificates: readCertificates,
      verifiedKeys: federation.verifiedKeys(),
      ...(deps.stateDir ? { stateDisk: stateDiskSpace(deps.stateDir) } : {}),
      ...(deps.configState ? { configState: deps.configState() } : {}),
      ...(deps.actionJournal
        ? {
            actions: {
              awaiting: deps.actionJournal.inState('awaiting-approval'),
              failed: deps.actionJournal.list({ state: 'failed', limit: COUNT_LIMIT }),
              toolFile: inspectToolFile,
            },
          }
        : {}),
    });
    res.json(response);
  });
  return router;
}

/** The authenticated probe, alongside the health probe; none for a peer without a key. */
async function signedProbe(federation: Federation, peer: string) {
  const result = await federation.signedProbe(peer);
  return result ? { signedProbe: result } : {};
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
