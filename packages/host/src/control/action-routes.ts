/**
 * Control API routes of the action journal: list and show executions, approve, reject, undo, and the dry
 * run of a plan (what would run, what the policy would do). The executor decides; these check requests.
 */
import {
  ActionDecisionRequest,
  type ActionDryRunResponse,
  ControlRoutes,
  type ExecutionRecord,
  type ExecutionResponse,
  ExecutionsQuery,
  type ExecutionsResponse,
} from '@routerd/host-wire';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { Router } from 'express';
import { dryRun } from '../actions/dry-run.js';
import { type ActionExecutor, ExecutionRefused } from '../actions/executor.js';
import type { ActionPolicy } from '../config/schemas.js';
import type { ActionJournal } from '../store/action-journal.js';
import { check } from '../validation.js';
import { HttpError, invalidRequest } from './http-error.js';

export interface ActionRouteDeps {
  executor: ActionExecutor;
  journal: ActionJournal;
  policies: () => ReadonlyMap<string, ActionPolicy>;
  /** Plans of active parts (`routerctl action list`'s ids), for a dry run of a plan not yet journaled. */
  plans: () => { part: string; plan: ActionPlan }[];
}

export function actionRoutes({ executor, journal, policies, plans }: ActionRouteDeps): Router {
  const router = Router();
  const execution = (id: string): ExecutionRecord => {
    const r = journal.get(id);
    if (!r) throw new HttpError(404, 'not_found', `no execution ${id}: see routerctl action journal`);
    return r;
  };
  /** The executor refuses a move the journal's state does not allow: 409, saying the state it is in. */
  const decide = (work: () => ExecutionRecord): ExecutionResponse => {
    try {
      return { execution: work() };
    } catch (err) {
      if (err instanceof ExecutionRefused) throw new HttpError(409, 'state_conflict', err.message);
      throw err;
    }
  };

  router.get(ControlRoutes.executions, (req, res) => {
    const q = check(ExecutionsQuery, req.query);
    if (!q.ok) throw invalidRequest(q.issues, 'query');
    const response: ExecutionsResponse = {
      executions: journal.list({
        ...(q.value.state ? { state: q.value.state } : {}),
        ...(q.value.limit ? { limit: q.value.limit } : {}),
      }),
    };
    res.json(response);
  });

  router.get('/v1/executions/:id', (req, res) => {
    const response: ExecutionResponse = { execution: execution(req.params.id) };
    res.json(response);
  });

  router.post('/v1/executions/:id/:decision', (req, res) => {
    const { id, decision } = req.params as { id: string; decision: string };
    const body = check(ActionDecisionRequest, req.body ?? {});
    if (!body.ok) throw invalidRequest(body.issues, `${decision} request`);
    execution(id);
    const { by } = body.value;
    let response: ExecutionResponse;
    if (decision === 'approve') response = decide(() => executor.approve(id, by));
    else if (decision === 'reject') response = decide(() => executor.reject(id, by));
    else if (decision === 'undo') response = decide(() => executor.undo(id, by));
    else throw new HttpError(404, 'not_found', `no decision "${decision}": approve, reject or undo`);
    res.json(response);
  });

  router.get('/v1/actions/:id/dry-run', (req, res) => {
    const id = req.params.id;
    const plan =
      journal.get(id)?.plan ?? plans().find((p) => p.plan.name === id || p.plan.idempotencyKey === id)?.plan;
    if (!plan)
      throw new HttpError(
        404,
        'not_found',
        `no execution or planned action ${id}: see routerctl action list and action journal`,
      );
    const response: ActionDryRunResponse = { plan, dryRun: dryRun(policies().get(plan.provider), plan) };
    res.json(response);
  });

  return router;
}
