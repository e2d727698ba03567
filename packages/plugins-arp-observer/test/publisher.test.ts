import type { EventDraft, PublishResult } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { Publisher } from '../src/publisher.js';

const draft = (id: string, expiresAt = '2026-11-27T06:05:00Z'): EventDraft => ({
  id,
  type: 'routerd.client.ipv4.observed',
  payload: {},
  observedAt: '2026-11-27T06:00:00Z',
  expiresAt,
});
const silent = { warn: () => {}, debug: () => {} };

describe('publisher (backpressure)', () => {
  it('keeps one events/publish in flight and coalesces a queued refresh with its newer version', async () => {
    const calls: EventDraft[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let release!: () => void;
    const publish = async (drafts: EventDraft[]): Promise<PublishResult> => {
      calls.push(drafts);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (calls.length === 1) await new Promise<void>((r) => (release = r)); // the host is slow to answer
      inFlight--;
      return { accepted: drafts.map((d) => d.id!), duplicates: [], rejected: [] };
    };
    const p = new Publisher(publish, silent);
    p.enqueue([draft('a')]);
    p.enqueue([draft('b', '2026-11-27T06:05:00Z')]);
    p.enqueue([draft('b', '2026-11-27T06:06:00Z'), draft('c')]);
    release();
    await p.idle();
    expect(maxInFlight).toBe(1);
    expect(calls.map((c) => c.map((d) => `${d.id}@${d.expiresAt?.slice(11, 16)}`))).toEqual([
      ['a@06:05'],
      ['b@06:06', 'c@06:05'],
    ]);
  });

  it('retries a failed call later and logs rejected drafts without retrying them', async () => {
    const warnings: string[] = [];
    let attempt = 0;
    const p = new Publisher(
      async (drafts) => {
        attempt++;
        if (attempt === 1) throw new Error('host restarting');
        return {
          accepted: [],
          duplicates: [],
          rejected: drafts.map((d) => ({ id: d.id!, reason: 'invalid' })),
        };
      },
      { warn: (m) => warnings.push(m), debug: () => {} },
    );
    p.enqueue([draft('a')]);
    await p.idle();
    expect(attempt).toBe(1);
    await new Promise((r) => setTimeout(r, 1200)); // first retry after 1 s
    await p.idle();
    expect(attempt).toBe(2);
    expect(warnings).toEqual(['events/publish failed', 'host rejected an event']);
    expect(p.stats).toMatchObject({ failedCalls: 1, rejected: 1 });
    p.stop();
  });
});
