// routerctl action captured: the node's observations folded with the cloud's outcome events.
import type { Event } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { capturedView } from '../src/routerctl/captured.js';

const observed = (ip: string, at: string): Event => ({
  id: `obs-${ip}-${at}`,
  group: 'edge',
  sourceNode: 'onprem',
  type: 'routerd.client.ipv4.observed',
  observedAt: at,
  payload: { address: `${ip}/32`, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});
const outcome = (ip: string, action: string, state: string, finishedAt: string, reason?: string): Event => ({
  id: `out-${ip}-${finishedAt}`,
  group: 'edge',
  sourceNode: 'cloud',
  type:
    state === 'succeeded' || state === 'already-done'
      ? 'routerd.provider.action.succeeded'
      : 'routerd.provider.action.failed',
  observedAt: finishedAt,
  subject: `${ip}/32`,
  payload: { address: `${ip}/32`, action, state, provider: 'aws', finishedAt, ...(reason ? { reason } : {}) },
});

describe('capturedView', () => {
  it('per current client: captured, released, failed with its reason, or not yet', () => {
    const rows = capturedView(
      [
        observed('10.88.60.9', '2026-11-27T06:00:00.000Z'),
        observed('10.88.60.9', '2026-11-27T06:05:00.000Z'),
        observed('10.88.60.10', '2026-11-27T06:00:00.000Z'),
        observed('10.88.60.11', '2026-11-27T06:00:00.000Z'),
        observed('10.88.60.12', '2026-11-27T06:00:00.000Z'),
      ],
      [
        outcome('10.88.60.9', 'assign-secondary-ip', 'succeeded', '2026-11-27T06:00:05.000Z'),
        outcome('10.88.60.10', 'assign-secondary-ip', 'succeeded', '2026-11-27T06:00:05.000Z'),
        outcome('10.88.60.10', 'unassign-secondary-ip', 'succeeded', '2026-11-27T07:00:05.000Z'),
        outcome(
          '10.88.60.11',
          'assign-secondary-ip',
          'held-elsewhere',
          '2026-11-27T06:00:05.000Z',
          'held by another NIC',
        ),
      ],
    );
    expect(rows.map((r) => [r.address, r.lastObservedAt, r.cloud, r.reason])).toEqual([
      ['10.88.60.9/32', '2026-11-27T06:05:00.000Z', 'captured', undefined],
      ['10.88.60.10/32', '2026-11-27T06:00:00.000Z', 'released', undefined],
      ['10.88.60.11/32', '2026-11-27T06:00:00.000Z', 'held-elsewhere', 'held by another NIC'],
      ['10.88.60.12/32', '2026-11-27T06:00:00.000Z', 'not yet', undefined],
    ]);
  });
});
