// Prints what happens on both nodes, as it happens, with the time since the client appeared: polls each
// daemon's control API and reports each thing once.
import { request } from 'node:http';
import { join } from 'node:path';

export function controlGet(stateDir, path) {
  return new Promise((resolve, reject) => {
    request({ socketPath: join(stateDir, 'routerd.sock'), path }, (res) => {
      let t = '';
      res.on('data', (c) => {
        t += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(t));
        } catch (err) {
          reject(err);
        }
      });
    })
      .on('error', reject)
      .end();
  });
}

export class Narrator {
  seen = new Set();
  t0 = Date.now();
  since() {
    return `+${((Date.now() - this.t0) / 1000).toFixed(2)}s`.padStart(8);
  }
  say(who, text) {
    console.log(`${this.since()}  ${who.padEnd(7)} ${text}`);
  }
  /** Say `text` the first time `key` is seen. Returns true when it was new. */
  once(key, who, text) {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.say(who, text);
    return true;
  }
}

/** One look at both nodes; narrates anything new. */
export async function look(n, onprem, cloud) {
  const [opEvents, clEvents, runs, parts, actions, deliveries] = await Promise.all([
    controlGet(onprem, '/v1/events?limit=200&includeExpired=true'),
    controlGet(cloud, '/v1/events?limit=200&includeExpired=true'),
    controlGet(cloud, '/v1/subscriptions/runs'),
    controlGet(cloud, '/v1/dynamic/parts'),
    controlGet(cloud, '/v1/actions'),
    controlGet(onprem, '/v1/federation/deliveries?peer=cloud'),
  ]);
  for (const e of [...opEvents.events].reverse()) {
    if (e.sourceNode === 'onprem' && e.type.startsWith('routerd.client.ipv4.')) {
      const what = e.type.endsWith('observed') ? 'observed' : 'expired';
      const first = n.once(
        `op:${e.id}`,
        'on-prem',
        `ARP observer: ${e.payload.address} ${what} (${e.payload.source}, mac ${e.payload.mac ?? '-'}) → stored as ${e.id}`,
      );
      n.seen.add(`op-exp:${e.id}:${e.expiresAt}`);
      if (
        !first &&
        !n.seen.has(`op-exp-shown:${e.id}`) &&
        n.seen.has(`op-exp:${e.id}:${e.expiresAt}`) &&
        e.expiresAt !== n.firstExpiry?.[e.id]
      ) {
        n.once(
          `op-exp-shown:${e.id}`,
          'on-prem',
          `observation refreshed while the client stays (same id, later expiry: re-pushed, no new plugin run)`,
        );
      }
      n.firstExpiry ??= {};
      n.firstExpiry[e.id] ??= e.expiresAt;
    }
    if (e.sourceNode === 'cloud' && e.type === 'routerd.dynamic.part.accepted') {
      n.once(
        `ack:${e.id}`,
        'on-prem',
        `acknowledgement from the cloud: ${e.payload.part} accepted (generation ${e.payload.generation}) for ${e.payload.eventIds.join(', ')}`,
      );
    }
  }
  for (const d of deliveries.deliveries) {
    if (d.status === 'delivered')
      n.once(`dl:${d.eventId}`, 'on-prem', `delivered ${d.eventId} to cloud (signed, attempt ${d.attempts})`);
  }
  for (const e of [...clEvents.events].reverse()) {
    if (e.sourceNode === 'onprem')
      n.once(
        `cl:${e.id}`,
        'cloud',
        `received ${e.type} ${e.payload.address} from onprem (signature verified)`,
      );
  }
  for (const r of runs.runs)
    n.once(
      `run:${r.eventId}:${r.status}`,
      'cloud',
      `subscription ${r.subscription}: run for ${r.eventId} ${r.status}${r.lastError ? ` (${r.lastError})` : ''}`,
    );
  for (const p of parts.parts) {
    const claims = p.resources.filter((r) => r.startsWith('RemoteAddressClaim/'));
    const state = p.state === 'active' ? `active until ${p.expiresAt}` : p.state;
    n.once(
      `part:${p.name}:${p.generation}:${p.state}:${p.expiresAt}`,
      'cloud',
      `DynamicConfigPart ${p.name} gen ${p.generation}: ${[...claims, `${p.actionPlans} plan(s)`].join(', ')} — ${state}`,
    );
  }
  return { actions: actions.actions, parts: parts.parts };
}
