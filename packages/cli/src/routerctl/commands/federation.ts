/** routerctl federation deliveries | deliveries summary | peers | peers retry | redeliver | event prune. */
import { Command, Option, UsageError } from 'clipanion';
import * as t from 'typanion';
import { ReadCommand, RouterctlCommand } from '../base-command.js';
import { renderData, renderTable } from '../output.js';

const STATUSES = ['pending', 'delivered', 'failed', 'expired'] as const;
const dash = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
const secs = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)}s`);
const deliveryWord = (n: number) => (n === 1 ? 'delivery' : 'deliveries');

export class DeliveriesCommand extends ReadCommand {
  static override paths = [['federation', 'deliveries']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'list deliveries of events this node originated, one row per (event, peer)',
    examples: [
      ['What is stuck for a peer', '$0 federation deliveries --peer cloud --status pending'],
      ['Where one event went', '$0 federation deliveries --event-id 01JDX…'],
    ],
  });
  peer = Option.String('--peer', { description: 'only this EventPeer' });
  status = Option.String('--status', {
    description: 'pending, delivered, failed or expired',
    validator: t.isEnum(STATUSES),
  });
  eventId = Option.String('--event-id', { description: 'only this event' });
  limit = Option.String('--limit', {
    description: 'at most this many rows (default 100)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 10_000)]),
  });

  async run(): Promise<void> {
    const { deliveries } = await this.client().deliveries({
      peer: this.peer,
      status: this.status,
      eventId: this.eventId,
      limit: this.limit,
    });
    if (this.output !== 'table') return this.write(await renderData(this.output, deliveries));
    if (deliveries.length === 0) return this.write('No deliveries.\n');
    this.write(
      renderTable(
        ['EVENT', 'PEER', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR'],
        deliveries.map((d) => [
          d.eventId,
          d.peer,
          d.status,
          String(d.attempts),
          dash(d.nextAttemptAt),
          dash(d.lastError),
        ]),
      ),
    );
  }
}

export class DeliveriesSummaryCommand extends ReadCommand {
  static override paths = [['federation', 'deliveries', 'summary']];
  static override usage = Command.Usage({
    category: 'federation',
    description:
      'per peer: delivered, pending, failed, expired, oldest pending age and worst delivery lag of the last 15 minutes',
  });

  async run(): Promise<void> {
    const { peers } = await this.client().deliveriesSummary();
    if (this.output !== 'table') return this.write(await renderData(this.output, peers));
    if (peers.length === 0) return this.write('No peers configured.\n');
    this.write(
      renderTable(
        ['PEER', 'DELIVERED', 'PENDING', 'FAILED', 'EXPIRED', 'OLDEST PENDING', 'MAX LAG'],
        peers.map((p) => [
          p.peer,
          String(p.delivered),
          String(p.pending),
          String(p.failed),
          String(p.expired),
          secs(p.oldestPendingAgeSeconds),
          secs(p.maxLagSeconds),
        ]),
      ),
    );
  }
}

export class PeersCommand extends ReadCommand {
  static override paths = [['federation', 'peers']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'each EventPeer: state, last success, last error',
  });

  async run(): Promise<void> {
    const { peers } = await this.client().peers();
    if (this.output !== 'table') return this.write(await renderData(this.output, peers));
    if (peers.length === 0) return this.write('No peers configured.\n');
    this.write(
      renderTable(
        ['PEER', 'NODE', 'ENDPOINT', 'STATE', 'LAST SUCCESS', 'LAST ERROR'],
        peers.map((p) => [
          p.peer,
          p.nodeName,
          p.endpoint,
          p.state,
          dash(p.lastSuccessAt),
          p.lastError ? `${p.lastError} (${p.lastErrorAt})` : '-',
        ]),
      ),
    );
  }
}

export class PeerRetryCommand extends ReadCommand {
  static override paths = [['federation', 'peers', 'retry']];
  static override usage = Command.Usage({
    category: 'federation',
    description:
      'probe a peer now instead of after its backoff (its oldest pending event, or its health check when nothing is pending); if it answers, everything pending is sent at once',
    examples: [['After fixing the key or the clock', '$0 federation peers retry cloud']],
  });
  peer = Option.String({ name: 'peer' });

  async run(): Promise<void> {
    const res = await this.client().retryPeer(this.peer);
    if (this.output !== 'table') return this.write(await renderData(this.output, res));
    const p = res.peer;
    const how = {
      delivery: 'probed with a pending event',
      health: 'probed with its health check',
      none: 'healthy',
    }[res.probe];
    const pending = `${res.pending} ${deliveryWord(res.pending)} pending`;
    const outcome =
      p.state === 'healthy' ? `${pending}${res.pending > 0 ? ', being sent now' : ''}` : pending;
    this.write(`${p.peer}: ${p.state} (${how}); ${outcome}\n`);
    if (p.state !== 'healthy' && p.lastError) this.write(`  last error: ${p.lastError}\n`);
    if (res.detail) this.write(`  ${res.detail}\n`);
  }
}

export class RedeliverCommand extends RouterctlCommand {
  static override paths = [['federation', 'redeliver']];
  static override usage = Command.Usage({
    category: 'federation',
    description:
      'send events to their peers again: one event (its deliveries go back to pending), or with --status failed every failed delivery matching --peer and --since',
    examples: [
      ['Resend one event to one peer', '$0 federation redeliver 01JDX… --peer cloud'],
      [
        'Resend what failed to cloud in the last hour',
        '$0 federation redeliver --status failed --peer cloud --since 1h',
      ],
      [
        'Resend everything that failed since a time',
        '$0 federation redeliver --status failed --since 2026-11-27T06:00:00Z',
      ],
    ],
  });
  eventId = Option.String({ name: 'event-id', required: false });
  peer = Option.String('--peer', { description: 'only to this EventPeer' });
  status = Option.String('--status', {
    description: 'failed: every failed delivery (instead of one event id)',
    validator: t.isEnum(['failed'] as const),
  });
  since = Option.String('--since', {
    description:
      'with --status failed: only those that failed at or after this time (RFC 3339, or a duration such as 1h: that long ago)',
  });

  protected override optionFor(path: string): string | undefined {
    return { '/since': '--since', '/peer': '--peer', '/eventId': 'EVENT-ID' }[path];
  }

  async run(): Promise<void> {
    if (this.eventId !== undefined && this.status !== undefined)
      throw new UsageError('give an event id or --status failed, not both');
    if (this.eventId === undefined && this.status === undefined)
      throw new UsageError('give an event id, or --status failed to resend every failed delivery');
    if (this.since !== undefined && this.status === undefined)
      throw new UsageError('--since goes with --status failed');
    const scope = `${this.peer ? ` to ${this.peer}` : ''}${this.since ? ` since ${this.since}` : ''}`;
    if (this.eventId === undefined) {
      const { requeued } = await this.client().redeliverFailed({ peer: this.peer, since: this.since });
      this.write(`requeued ${requeued} failed ${deliveryWord(requeued)}${scope}\n`);
      return;
    }
    const { requeued } = await this.client().redeliver(this.eventId, this.peer);
    this.write(`requeued ${requeued} ${deliveryWord(requeued)} of ${this.eventId}\n`);
  }
}

export class PruneCommand extends ReadCommand {
  static override paths = [['federation', 'event', 'prune']];
  static override usage = Command.Usage({
    category: 'federation',
    description:
      'apply retention to every ledger now; --dry-run lists the events and counts the rows of each ledger it would remove',
  });
  dryRun = Option.Boolean('--dry-run', false, { description: 'only list what a prune would remove' });

  async run(): Promise<void> {
    const res = await this.client().prune(this.dryRun);
    if (this.output !== 'table') return this.write(await renderData(this.output, res));
    const rows = res.events.map((e) => [e.id, e.group, e.type, e.reason, e.undelivered ? 'yes' : 'no']);
    const events = rows.length
      ? `${renderTable(['ID', 'GROUP', 'TYPE', 'REASON', 'UNDELIVERED'], rows)}\n`
      : '';
    const ledgers = renderTable(
      ['LEDGER', 'ROWS', 'CONFIG', 'REMOVED WHEN'],
      res.ledgers.map((l) => [l.ledger, String(l.rows), l.setting ?? '-', l.rule]),
    );
    const others = res.ledgers.filter((l) => l.ledger !== 'events').reduce((n, l) => n + l.rows, 0);
    const count = res.events.length + (res.eventsNotListed ?? 0);
    const verb = this.dryRun ? 'would remove' : 'removed';
    const unlisted = res.eventsNotListed ? ` (the first ${res.events.length} listed)` : '';
    this.write(
      `${events}${ledgers}\n${verb} ${count} event${count === 1 ? '' : 's'}${unlisted} and ${others} row${others === 1 ? '' : 's'} of other ledgers\n`,
    );
  }
}
