/** GET /v1/trace: one observation's causal chain on this node (`routerctl trace`). */
import { ControlRoutes, TraceQuery, type TraceResponse } from '@routerd/host-wire';
import { Router } from 'express';
import type { FederationConfig } from '../config/index.js';
import type { TraceRows } from '../store/trace-rows.js';
import { check } from '../validation.js';
import { HttpError, invalidRequest } from './http-error.js';
import { traceTimeline } from './trace-timeline.js';

export function traceRoutes(rows: TraceRows, config: () => FederationConfig): Router {
  const router = Router();
  router.get(ControlRoutes.trace, (req, res) => {
    const query = check(TraceQuery, req.query);
    if (!query.ok) throw invalidRequest(query.issues, 'query');
    const { event, address } = query.value;
    const root = event !== undefined ? rows.event(event) : rows.newestObservation(hostCidr(address!));
    if (!root)
      throw new HttpError(
        404,
        'not_found',
        event !== undefined
          ? `no event with id ${event} on this node: see routerctl federation event list`
          : `no observation of ${address} is stored on this node (it may have expired and been pruned)`,
      );
    const localNodes = new Set(config().groups.map((g) => g.resource.spec.nodeName));
    const response: TraceResponse = traceTimeline(rows, root, localNodes);
    res.json(response);
  });
  return router;
}

/** 10.88.60.9 → 10.88.60.9/32: the subject an observation of the address carries. */
function hostCidr(address: string): string {
  return address.includes('/') ? address : `${address}/32`;
}
