/** Control API routes for federation: deliveries, peers, redeliver. Logic lives in Federation. */

import {
  ControlRoutes,
  DeliveriesQuery,
  type DeliveriesResponse,
  type DeliveriesSummaryResponse,
  type PeerRetryResponse,
  type PeersResponse,
  RedeliverRequest,
  type RedeliverResponse,
} from '@routerd/host-wire';
import { isDuration, parseDuration } from '@routerd/plugin-sdk';
import { Router } from 'express';
import type { FederationConfig } from '../config/index.js';
import type { Federation } from '../federation/service.js';
import type { DeliveryStore } from '../store/deliveries.js';
import { check } from '../validation.js';
import { HttpError, invalidRequest, refuseFields } from './http-error.js';

export function federationRoutes(
  federation: Federation,
  deliveries: DeliveryStore,
  config: () => FederationConfig,
  now: () => number,
): Router {
  const router = Router();

  router.get(ControlRoutes.deliveries, (req, res) => {
    const q = check(DeliveriesQuery, req.query);
    if (!q.ok) throw invalidRequest(q.issues, 'query');
    const response: DeliveriesResponse = { deliveries: deliveries.list(q.value) };
    res.json(response);
  });

  router.get(ControlRoutes.deliveriesSummary, (_req, res) => {
    const response: DeliveriesSummaryResponse = {
      peers: deliveries.summary(federation.peerNames(), now()),
    };
    res.json(response);
  });

  /** Each configured peer: its worker's live state (no worker: no key) and what its worker last recorded. */
  const peerInfos = (): PeersResponse['peers'] => {
    const recorded = new Map(deliveries.peerStates().map((p) => [p.peer, p]));
    const live = new Map(federation.workerStates().map((w) => [w.peer, w.state]));
    return config().peers.map(({ resource: p }) => {
      const r = recorded.get(p.metadata.name);
      return {
        peer: p.metadata.name,
        nodeName: p.spec.nodeName,
        endpoint: p.spec.endpoint,
        state: live.get(p.metadata.name) ?? 'no-key',
        consecutiveFailures: r?.consecutiveFailures ?? 0,
        lastAttemptAt: r?.lastAttemptAt ?? null,
        lastSuccessAt: r?.lastSuccessAt ?? null,
        lastError: r?.lastError ?? null,
        lastErrorAt: r?.lastErrorAt ?? null,
      };
    });
  };

  router.get(ControlRoutes.peers, (_req, res) => {
    const response: PeersResponse = { peers: peerInfos() };
    res.json(response);
  });

  router.post(`${ControlRoutes.peers}/:name/retry`, async (req, res) => {
    refuseFields(req.body, 'retry request', 'a peer retry takes no field');
    const name = String(req.params.name);
    if (!config().peers.some((p) => p.resource.metadata.name === name)) {
      throw new HttpError(
        404,
        'not_found',
        `no EventPeer named ${name}: routerctl federation peers lists them`,
      );
    }
    const probing = federation.retryPeer(name);
    if (!probing) {
      throw new HttpError(
        409,
        'invalid_request',
        `peer ${name} has no key, so nothing is sent to it: set its auth.secretFile (or its group's), then reload`,
      );
    }
    const report = await probing;
    const peer = peerInfos().find((p) => p.peer === name)!;
    const response: PeerRetryResponse = { peer, ...report };
    res.json(response);
  });

  router.post(ControlRoutes.redeliver, (req, res) => {
    const body = check(RedeliverRequest, req.body);
    if (!body.ok) throw invalidRequest(body.issues, 'redeliver request');
    const { eventId, peer, since } = body.value;
    if (eventId === undefined) {
      // status "failed": every failed delivery matching, none matching is an answer too (0).
      const sinceMs =
        since === undefined
          ? undefined
          : isDuration(since)
            ? now() - parseDuration(since)
            : Date.parse(since);
      const response: RedeliverResponse = {
        requeued: federation.redeliverFailed({
          ...(peer ? { peer } : {}),
          ...(sinceMs === undefined ? {} : { sinceMs }),
        }),
      };
      res.json(response);
      return;
    }
    const requeued = federation.redeliver(eventId, peer);
    if (requeued === 0) {
      throw new HttpError(
        404,
        'not_found',
        `no delivery of event ${eventId}${peer ? ` to peer ${peer}` : ''}: only events this node originated and pushed have deliveries`,
      );
    }
    const response: RedeliverResponse = { requeued };
    res.json(response);
  });

  return router;
}
