import type { StatusResponse } from '@routerd/host-wire';
import type { Clock } from '../clock.js';
import type { ConfigHolder } from '../config/holder.js';
import type { EventStore } from '../store/events.js';
import { VERSION } from '../version.js';

/** GET /v1/status: what this daemon is, since when, which config it runs and how much it holds. */
export function statusOf(o: {
  startedAt: string;
  clock: Clock;
  config: ConfigHolder;
  events: EventStore;
}): () => StatusResponse {
  return () => {
    const { config } = o;
    return {
      version: VERSION,
      pid: process.pid,
      startedAt: o.startedAt,
      groups: config.current.groups.map((g) => ({
        name: g.resource.metadata.name,
        nodeName: g.resource.spec.nodeName,
      })),
      uptimeSeconds: Math.floor((o.clock.now() - Date.parse(o.startedAt)) / 1000),
      config: {
        files: config.current.files,
        generation: config.generation,
        loadedAt: config.loadedAt,
        ...(config.lastReload ? { lastReload: config.lastReload } : {}),
        changedOnDisk: config.changedOnDisk(),
      },
      events: { stored: o.events.count() },
    };
  };
}
