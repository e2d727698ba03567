/** Control API routes for federation: deliveries, peers, redeliver, prune. Logic lives in Federation. */
import { Router } from 'express';
import type { FederationConfig } from '../config/index.js';
import type { Federation } from '../federation/service.js';
import { check } from '../validation.js';
import {
  ControlRoutes,
  DeliveriesQuery,
  type DeliveriesResponse,
  type DeliveriesSummaryResponse,
  type PeersResponse,
  type PruneResponse,
  RedeliverRequest,
  type RedeliverResponse,
} from './api.js';
import { HttpError, invalidRequest } from './http-error.js';

export function federationRoutes(
  federation: Federation,
  config: () => FederationConfig,
  now: () => number,
): Router {
  const router = Router();

  router.get(ControlRoutes.deliveries, (req, res) => {
    const q = check(DeliveriesQuery, req.query);
    if (!q.ok) throw invalidRequest(q.issues, 'query');
    const response: DeliveriesResponse = { deliveries: federation.deliveries.list(q.value) };
    res.json(response);
  });

  router.get(ControlRoutes.deliveriesSummary, (_req, res) => {
    const response: DeliveriesSummaryResponse = {
      peers: federation.deliveries.summary(federation.peerNames(), now()),
    };
    res.json(response);
  });

  router.get(ControlRoutes.peers, (_req, res) => {
    const recorded = new Map(federation.deliveries.peerStates().map((p) => [p.peer, p]));
    const live = new Map(federation.workerStates().map((w) => [w.peer, w.state]));
    const response: PeersResponse = {
      peers: config().peers.map(({ resource: p }) => {
        const r = recorded.get(p.metadata.name);
        const state = live.get(p.metadata.name) ?? 'no-key';
        return {
          peer: p.metadata.name,
          nodeName: p.spec.nodeName,
          endpoint: p.spec.endpoint,
          state: state as PeersResponse['peers'][number]['state'],
          consecutiveFailures: r?.consecutiveFailures ?? 0,
          lastAttemptAt: r?.lastAttemptAt ?? null,
          lastSuccessAt: r?.lastSuccessAt ?? null,
          lastError: r?.lastError ?? null,
          lastErrorAt: r?.lastErrorAt ?? null,
        };
      }),
    };
    res.json(response);
  });

  router.post(ControlRoutes.redeliver, (req, res) => {
    const body = check(RedeliverRequest, req.body);
    if (!body.ok) throw invalidRequest(body.issues, 'redeliver request');
    const requeued = federation.redeliver(body.value.eventId, body.value.peer);
    if (requeued === 0) {
      throw new HttpError(
        404,
        'not_found',
        `no delivery of event ${body.value.eventId}${body.value.peer ? ` to peer ${body.value.peer}` : ''}: only events this node originated and pushed have deliveries`,
      );
    }
    const response: RedeliverResponse = { requeued };
    res.json(response);
  });

  router.get(ControlRoutes.prune, (_req, res) => {
    const plan = federation.planPrune();
    const response: PruneResponse = { dryRun: true, events: plan.events };
    res.json(response);
  });

  router.post(ControlRoutes.prune, (_req, res) => {
    const plan = federation.planPrune();
    const removed = federation.pruneNow(plan);
    const response: PruneResponse = { dryRun: false, events: plan.events, removed };
    res.json(response);
  });

  return router;
}
