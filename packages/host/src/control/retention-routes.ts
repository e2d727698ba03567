/** Control API routes for retention: the dry run (GET) and a prune now (POST) of every ledger. */
import { ControlRoutes, type PruneResponse } from '@routerd/host-wire';
import { Router } from 'express';
import type { Retention } from '../retention/service.js';

export function retentionRoutes(retention: Retention): Router {
  const router = Router();

  router.get(ControlRoutes.prune, async (_req, res) => {
    const plan = await retention.plan();
    const response: PruneResponse = { dryRun: true, events: plan.events, ledgers: retention.ledgers(plan) };
    res.json(response);
  });

  router.post(ControlRoutes.prune, async (_req, res) => {
    const plan = await retention.plan();
    const { rows, undelivered } = await retention.prune(plan);
    const response: PruneResponse = {
      dryRun: false,
      events: plan.events,
      ledgers: retention.ledgers(plan, rows),
      removed: {
        events: rows.events ?? 0,
        undelivered,
        deliveries: rows.deliveries ?? 0,
        webhooks: rows.received_webhooks ?? 0,
      },
    };
    res.json(response);
  });

  return router;
}
