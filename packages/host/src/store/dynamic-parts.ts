/**
 * Dynamic config: the parts plugins proposed (DynamicConfigPart), the per-address claim ledger that
 * enforces single-writer and hysteretic release, and the set of action plans already announced.
 */
import type { DynamicConfigPart, PartState } from '@routerd/host-wire';
import { type ActionPlan, type TraceContext, traceContextOf } from '@routerd/plugin-sdk';
import type { Database, Statement } from 'better-sqlite3';
import type { Migration } from './migrations.js';
import { statementCache } from './statement-cache.js';
import { type Transact, transactionRunner } from './transactions.js';

export const dynamicMigrations: Migration[] = [
  {
    version: 40,
    name: 'dynamic_parts',
    up: `
      CREATE TABLE dynamic_parts (
        name TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        generation INTEGER NOT NULL,
        digest TEXT NOT NULL,
        expires_at_ms INTEGER,
        state TEXT NOT NULL CHECK (state IN ('active', 'released')),
        body TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
      );
      CREATE INDEX dynamic_parts_source ON dynamic_parts (source);
      CREATE TABLE address_claims (
        domain TEXT NOT NULL,
        address TEXT NOT NULL,
        owner_node TEXT NOT NULL,
        subscription TEXT NOT NULL,
        part TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'releasing', 'released')),
        last_observed_ms INTEGER NOT NULL,
        release_at_ms INTEGER NOT NULL,
        teardown TEXT,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (domain, address)
      );
      CREATE INDEX address_claims_release ON address_claims (state, release_at_ms);
      CREATE TABLE announced_plans (
        idempotency_key TEXT PRIMARY KEY,
        part TEXT NOT NULL,
        announced_ms INTEGER NOT NULL
      );
    `,
  },
  {
    // What last moved a claim (the observation that holds it, the expiry that starts its release), so
    // the teardown its release announces, long after, joins that trace (issue 21).
    version: 57,
    name: 'address_claims_trace',
    up: `
      ALTER TABLE address_claims ADD COLUMN traceparent TEXT;
      ALTER TABLE address_claims ADD COLUMN tracestate TEXT;
    `,
  },
  {
    // A part holds one claim: the single-writer check asks which held claim is in a part, once per claim
    // of every result, so that lookup must not scan every claim.
    version: 60,
    name: 'address_claims_part',
    up: 'CREATE INDEX address_claims_part ON address_claims (part);',
  },
];

/** A part as stored: its body, and the columns the ledger is queried by. */
export interface StoredPart {
  name: string;
  source: string;
  generation: number;
  digest: string;
  expiresAtMs: number | null;
  state: PartState;
  body: DynamicConfigPart;
}

export type ClaimState = 'active' | 'releasing' | 'released';
export interface ClaimRow {
  domain: string;
  address: string;
  ownerNode: string;
  subscription: string;
  part: string;
  state: ClaimState;
  lastObservedMs: number;
  releaseAtMs: number;
  teardown: ActionPlan[] | null;
  /** The trace context of what last moved the claim (its hold, or the expiry that started its release). */
  trace?: TraceContext;
}

interface PartDbRow {
  name: string;
  source: string;
  generation: number;
  digest: string;
  expires_at_ms: number | null;
  state: PartState;
  body: string;
}

const toPart = (r: PartDbRow): StoredPart => ({
  name: r.name,
  source: r.source,
  generation: r.generation,
  digest: r.digest,
  expiresAtMs: r.expires_at_ms,
  state: r.state,
  body: JSON.parse(r.body) as DynamicConfigPart,
});

interface ClaimDbRow {
  domain: string;
  address: string;
  owner_node: string;
  subscription: string;
  part: string;
  state: ClaimState;
  last_observed_ms: number;
  release_at_ms: number;
  teardown: string | null;
  traceparent: string | null;
  tracestate: string | null;
}

const toClaim = (r: ClaimDbRow): ClaimRow => {
  const trace = traceContextOf(r);
  return {
    domain: r.domain,
    address: r.address,
    ownerNode: r.owner_node,
    subscription: r.subscription,
    part: r.part,
    state: r.state,
    lastObservedMs: r.last_observed_ms,
    releaseAtMs: r.release_at_ms,
    teardown: r.teardown ? (JSON.parse(r.teardown) as ActionPlan[]) : null,
    ...(trace ? { trace } : {}),
  };
};

export class DynamicStore {
  private readonly stmt: (sql: string) => Statement;
  /** Runs a write of several statements in one transaction (the dynamic config's result and claim writes). */
  readonly transact: Transact;
  constructor(readonly db: Database) {
    this.stmt = statementCache(db);
    this.transact = transactionRunner(db);
  }

  // --- parts ------------------------------------------------------------------------------------

  part(name: string): StoredPart | undefined {
    const r = this.stmt('SELECT * FROM dynamic_parts WHERE name = ?').get(name) as PartDbRow | undefined;
    return r && toPart(r);
  }

  upsertPart(part: DynamicConfigPart, expiresAtMs: number | null, now: number): void {
    this.stmt(`INSERT INTO dynamic_parts (name, source, generation, digest, expires_at_ms, state, body, updated_ms)
      VALUES (@name, @source, @generation, @digest, @expires, 'active', @body, @now)
      ON CONFLICT (name) DO UPDATE SET source = @source, generation = @generation, digest = @digest, expires_at_ms = @expires,
        state = 'active', body = @body, updated_ms = @now`).run({
      name: part.metadata.name,
      source: part.spec.source,
      generation: part.spec.generation,
      digest: part.spec.digest,
      expires: expiresAtMs,
      body: JSON.stringify(part),
      now,
    });
  }

  setPartExpiry(name: string, expiresAtMs: number, now: number): void {
    const p = this.part(name);
    if (!p) return;
    p.body.spec.expiresAt = new Date(expiresAtMs).toISOString();
    this.stmt('UPDATE dynamic_parts SET expires_at_ms = ?, body = ?, updated_ms = ? WHERE name = ?').run(
      expiresAtMs,
      JSON.stringify(p.body),
      now,
      name,
    );
  }

  releasePart(name: string, now: number): void {
    this.stmt(`UPDATE dynamic_parts SET state = 'released', updated_ms = ? WHERE name = ?`).run(now, name);
  }

  /** Parts in force: active and not expired. */
  activeParts(now: number): StoredPart[] {
    return (
      this.stmt(
        `SELECT * FROM dynamic_parts WHERE state = 'active' AND (expires_at_ms IS NULL OR expires_at_ms > ?) ORDER BY name`,
      ).all(now) as PartDbRow[]
    ).map(toPart);
  }

  activePartCount(now: number): number {
    return (
      this.stmt(
        `SELECT COUNT(*) AS n FROM dynamic_parts WHERE state = 'active' AND (expires_at_ms IS NULL OR expires_at_ms > ?)`,
      ).get(now) as { n: number }
    ).n;
  }

  allParts(): StoredPart[] {
    return (this.stmt('SELECT name FROM dynamic_parts ORDER BY name').all() as { name: string }[]).map(
      (r) => this.part(r.name)!,
    );
  }

  // --- claims -----------------------------------------------------------------------------------

  claim(domain: string, address: string): ClaimRow | undefined {
    const r = this.stmt('SELECT * FROM address_claims WHERE domain = ? AND address = ?').get(
      domain,
      address,
    ) as ClaimDbRow | undefined;
    return r && toClaim(r);
  }

  /** The held claim a part holds, if any (a part holds one claim; a released one holds nothing). */
  heldClaimInPart(part: string): ClaimRow | undefined {
    const r = this.stmt(`SELECT * FROM address_claims WHERE part = ? AND state != 'released' LIMIT 1`).get(
      part,
    ) as ClaimDbRow | undefined;
    return r && toClaim(r);
  }

  saveClaim(c: ClaimRow, now: number): void {
    this.stmt(`INSERT INTO address_claims (domain, address, owner_node, subscription, part, state, last_observed_ms, release_at_ms, teardown, updated_ms, traceparent, tracestate)
      VALUES (@domain, @address, @owner, @sub, @part, @state, @last, @release, @teardown, @now, @traceparent, @tracestate)
      ON CONFLICT (domain, address) DO UPDATE SET owner_node = @owner, subscription = @sub, part = @part, state = @state,
        last_observed_ms = @last, release_at_ms = @release, teardown = @teardown, updated_ms = @now,
        traceparent = @traceparent, tracestate = @tracestate`).run({
      domain: c.domain,
      address: c.address,
      owner: c.ownerNode,
      sub: c.subscription,
      part: c.part,
      state: c.state,
      last: c.lastObservedMs,
      release: c.releaseAtMs,
      teardown: c.teardown ? JSON.stringify(c.teardown) : null,
      now,
      traceparent: c.trace?.traceparent ?? null,
      tracestate: c.trace?.tracestate ?? null,
    });
  }

  /**
   * Claims not yet released, i.e. addresses this node currently captures (or is about to release): the
   * address and part of each (the no-observe set), two columns, nothing parsed.
   */
  heldClaimAddresses(): Pick<ClaimRow, 'address' | 'part'>[] {
    return this.stmt(
      `SELECT address, part FROM address_claims WHERE state != 'released' ORDER BY address`,
    ).all() as Pick<ClaimRow, 'address' | 'part'>[];
  }

  /** How many claims are held, per state (the metrics read it at scrape time). */
  claimCounts(): { state: ClaimState; count: number }[] {
    return this.stmt(
      `SELECT state, COUNT(*) AS count FROM address_claims WHERE state != 'released' GROUP BY state`,
    ).all() as { state: ClaimState; count: number }[];
  }

  dueReleases(now: number): ClaimRow[] {
    return (
      this.stmt(`SELECT * FROM address_claims WHERE state != 'released' AND release_at_ms <= ?`).all(
        now,
      ) as ClaimDbRow[]
    ).map(toClaim);
  }

  nextReleaseMs(): number | undefined {
    return (
      (
        this.stmt(`SELECT MIN(release_at_ms) AS t FROM address_claims WHERE state != 'released'`).get() as {
          t: number | null;
        }
      ).t ?? undefined
    );
  }

  // --- announced plans --------------------------------------------------------------------------

  /** True the first time a plan's idempotency key is seen (so it is announced once, however often it is proposed). */
  announce(key: string, part: string, now: number): boolean {
    return (
      this.stmt(
        'INSERT INTO announced_plans (idempotency_key, part, announced_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ).run(key, part, now).changes === 1
    );
  }

  /** Forget announcements tied to a released part, so the same plan is announced again if the address returns. */
  forgetAnnouncements(part: string): void {
    this.stmt('DELETE FROM announced_plans WHERE part = ?').run(part);
  }
}
