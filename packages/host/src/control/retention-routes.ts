/** Control API routes for retention: the dry run (GET) and a prune now (POST) of every ledger. */
import { ControlRoutes, type PruneResponse } from '@routerd/host-wire';
import { Router } from 'express';
import type { Retention } from '../retention/service.js';
import type { EventTally } from '../store/retention.js';
import { refuseFields } from './http-error.js';

/** The events of an answer: the first few listed, and how many the list leaves out. */
const listed = (t: EventTally) => ({
  events: t.listed,
  ...(t.total > t.listed.length ? { eventsNotListed: t.total - t.listed.length } : {}),
});

export function retentionRoutes(retention: Retention): Router {
  const router = Router();

  router.get(ControlRoutes.prune, async (_req, res) => {
    const plan = await retention.plan();
    const response: PruneResponse = {
      dryRun: true,
      ...listed(plan.events),
      ledgers: retention.ledgers(plan),
    };
    res.json(response);
  });

  router.post(ControlRoutes.prune, async (req, res) => {
    refuseFields(
      req.body,
      'prune request',
      `POST prunes now and takes no field; GET ${ControlRoutes.prune} is the dry run`,
    );
    const { rows, events } = await retention.prune();
    const response: PruneResponse = {
      dryRun: false,
      ...listed(events),
      ledgers: retention.ledgers(rows),
      removed: {
        events: rows.events ?? 0,
        undelivered: events.undelivered,
        deliveries: rows.deliveries ?? 0,
        webhooks: rows.received_webhooks ?? 0,
      },
    };
    res.json(response);
  });

  return router;
}
