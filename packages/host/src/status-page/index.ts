/** The status page as the daemon starts it: from the config, reading the daemon through its control socket. */
import type { Clock } from '../clock.js';
import type { FederationConfig } from '../config/index.js';
import { controlReader } from './control-reader.js';
import { type StatusPage, startStatusPage, targetOf } from './server.js';

export type { StatusPage } from './server.js';

/** Starts the page if an EventGroup asks for one (at most one may: config/rules.ts); else undefined. */
export async function serveStatusPage(
  config: FederationConfig,
  controlSocket: string,
  o: { clock: Clock; log: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void },
): Promise<StatusPage | undefined> {
  const spec = config.groups.find((g) => g.resource.spec.statusPage)?.resource.spec.statusPage;
  if (!spec) return undefined;
  return startStatusPage(targetOf(spec), { ...o, get: controlReader(controlSocket) });
}
