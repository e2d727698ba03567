/** Control API routes for dynamic config, subscription runs and the (inert) action list. */

import {
  type ActionResponse,
  type ActionSummary,
  type ActionsResponse,
  ControlRoutes,
  type DynamicPartResponse,
  type DynamicPartsResponse,
  type RenderResponse,
  SubscriptionRetryRequest,
  type SubscriptionRetryResponse,
  SubscriptionRunsQuery,
  type SubscriptionRunsResponse,
} from '@routerd/host-wire';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { Router } from 'express';
import type { DynamicConfig } from '../dynamic/service.js';
import type { SubscriptionRunStore } from '../store/subscription-runs.js';
import type { SubscriptionEngine } from '../subscriptions/engine.js';
import { check } from '../validation.js';
import { HttpError, invalidRequest } from './http-error.js';

export interface DynamicRouteDeps {
  dynamic: DynamicConfig;
  subscriptions: SubscriptionEngine;
  runs: SubscriptionRunStore;
}

export function dynamicRoutes({ dynamic, subscriptions, runs }: DynamicRouteDeps): Router {
  const router = Router();

  router.get(ControlRoutes.dynamicParts, (_req, res) => {
    const response: DynamicPartsResponse = {
      parts: dynamic.parts().map((p) => ({
        name: p.name,
        source: p.source,
        generation: p.generation,
        state: p.state,
        expiresAt: p.body.spec.expiresAt,
        resources: p.body.spec.resources.map((r) => `${r.kind}/${r.metadata.name}`),
        actionPlans: p.body.spec.actionPlans.length,
      })),
    };
    res.json(response);
  });

  router.get('/v1/dynamic/parts/:name', (req, res) => {
    const part = dynamic.parts().find((p) => p.name === req.params.name);
    if (!part)
      throw new HttpError(
        404,
        'not_found',
        `no DynamicConfigPart named ${req.params.name}: see routerctl dynamic list`,
      );
    const response: DynamicPartResponse = { state: part.state, part: part.body };
    res.json(response);
  });

  router.get(ControlRoutes.dynamicRender, (_req, res) => {
    const response: RenderResponse = dynamic.render();
    res.json(response);
  });

  router.get(ControlRoutes.subscriptionRuns, (req, res) => {
    const q = check(SubscriptionRunsQuery, req.query);
    if (!q.ok) throw invalidRequest(q.issues, 'query');
    const response: SubscriptionRunsResponse = { runs: runs.list(q.value) };
    res.json(response);
  });

  router.post('/v1/subscriptions/:name/retry', (req, res) => {
    const name = req.params.name as string;
    const body = check(SubscriptionRetryRequest, req.body ?? {});
    if (!body.ok) throw invalidRequest(body.issues, 'retry request');
    if (!subscriptions.has(name)) throw new HttpError(404, 'not_found', `no EventSubscription named ${name}`);
    const response: SubscriptionRetryResponse = { requeued: subscriptions.retry(name, body.value.eventId) };
    res.json(response);
  });

  const actions = (): { summary: ActionSummary; plan: ActionPlan }[] =>
    dynamic.actionPlans().map(({ part, plan }) => ({
      summary: {
        id: plan.name,
        part,
        provider: plan.provider,
        action: plan.action,
        target: plan.target as Record<string, unknown>,
        idempotencyKey: plan.idempotencyKey,
        status: 'planned',
        executed: false,
      },
      plan,
    }));

  router.get(ControlRoutes.actions, (_req, res) => {
    const response: ActionsResponse = { actions: actions().map((a) => a.summary) };
    res.json(response);
  });

  router.get('/v1/actions/:id', (req, res) => {
    const found = actions().find(
      (a) => a.summary.id === req.params.id || a.summary.idempotencyKey === req.params.id,
    );
    if (!found)
      throw new HttpError(404, 'not_found', `no planned action ${req.params.id}: see routerctl action list`);
    const response: ActionResponse = { action: found.summary, plan: found.plan };
    res.json(response);
  });

  return router;
}
