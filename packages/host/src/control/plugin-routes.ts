/** Control API routes for plugins: status, a manual run, the run records. Logic lives in PluginHost. */

import {
  ControlRoutes,
  PluginRunsQuery,
  type PluginRunsResponse,
  type PluginsResponse,
  RunPluginRequest,
  type RunPluginResponse,
} from '@routerd/host-wire';
import { Router } from 'express';
import type { PluginHost } from '../plugins/plugin-host.js';
import type { PluginRunStore } from '../store/plugin-runs.js';
import { check } from '../validation.js';
import { HttpError, invalidRequest } from './http-error.js';

export function pluginRoutes(plugins: PluginHost, runs: PluginRunStore, stopping: () => boolean): Router {
  const router = Router();

  router.get(ControlRoutes.plugins, (_req, res) => {
    const response: PluginsResponse = { plugins: plugins.status() };
    res.json(response);
  });

  router.get(ControlRoutes.pluginRuns, (req, res) => {
    const q = check(PluginRunsQuery, req.query);
    if (!q.ok) throw invalidRequest(q.issues, 'query');
    const response: PluginRunsResponse = { runs: runs.list(q.value) };
    res.json(response);
  });

  // A failed or refused run is still a 200: the outcome is the answer, and it is recorded like any run.
  // ControlRoutes.pluginRun encodes its argument, so the pattern is spelled out.
  router.post(`${ControlRoutes.plugins}/:name/run`, async (req, res) => {
    if (stopping())
      throw new HttpError(503, 'shutting_down', 'routerd-eventd is shutting down: retry once it is back');
    const name = req.params.name as string;
    const body = check(RunPluginRequest, req.body ?? {});
    if (!body.ok) throw invalidRequest(body.issues, 'run request');
    if (!plugins.has(name)) {
      const known = plugins.status().map((p) => p.name);
      throw new HttpError(
        404,
        'not_found',
        `no Plugin named "${name}" is configured (Plugins: ${known.join(', ') || 'none'})`,
      );
    }
    const { dryRun, topic, events = [] } = body.value;
    const trigger = topic === undefined ? { type: 'manual' as const } : { type: 'manual' as const, topic };
    const run = await plugins.run(name, { trigger, events }, { dryRun: dryRun ?? false });
    const response: RunPluginResponse = { run };
    res.json(response);
  });

  return router;
}
