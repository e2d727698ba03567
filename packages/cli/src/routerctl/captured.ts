/**
 * Per observed client, whether the cloud has captured its address: the node's current observations
 * folded with the `routerd.provider.action.succeeded|failed` events the cloud sent back (capture-ready).
 */
import type { Event } from '@routerd/plugin-sdk';

export interface CapturedRow {
  address: string;
  domain: string;
  lastObservedAt: string;
  /** `captured`, `released`, `failed`, `held-elsewhere` or `not yet` (no news from the cloud). */
  cloud: string;
  provider?: string;
  at?: string;
  reason?: string;
}

interface Outcome {
  address?: string;
  action?: string;
  state?: string;
  provider?: string;
  reason?: string;
  finishedAt?: string;
}

const hostOf = (address: string) => address.split('/')[0]!;

export function capturedView(observations: readonly Event[], outcomes: readonly Event[]): CapturedRow[] {
  const latest = new Map<string, Outcome>();
  for (const e of outcomes) {
    const o = e.payload as Outcome;
    if (!o.address) continue;
    const prev = latest.get(hostOf(o.address));
    if (!prev || (o.finishedAt ?? '') > (prev.finishedAt ?? '')) latest.set(hostOf(o.address), o);
  }
  const clients = new Map<string, { address: string; domain: string; lastObservedAt: string }>();
  for (const e of observations) {
    const p = e.payload as { address: string; domain: string };
    const key = `${p.domain}|${hostOf(p.address)}`;
    const prev = clients.get(key);
    if (!prev || e.observedAt > prev.lastObservedAt)
      clients.set(key, { address: p.address, domain: p.domain, lastObservedAt: e.observedAt });
  }
  return [...clients.values()]
    .sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }))
    .map((c) => {
      const o = latest.get(hostOf(c.address));
      if (!o) return { ...c, cloud: 'not yet' };
      const done = o.state === 'succeeded' || o.state === 'already-done';
      const cloud = !done
        ? (o.state ?? 'failed')
        : o.action === 'unassign-secondary-ip'
          ? 'released'
          : 'captured';
      return {
        ...c,
        cloud,
        ...(o.provider ? { provider: o.provider } : {}),
        ...(o.finishedAt ? { at: o.finishedAt } : {}),
        ...(o.reason && !done ? { reason: o.reason } : {}),
      };
    });
}
