/** routerctl federation deliveries | deliveries summary | peers | redeliver | event prune. */
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ReadCommand, RouterctlCommand } from '../base-command.js';
import { renderData, renderTable } from '../output.js';

const STATUSES = ['pending', 'delivered', 'failed', 'expired'] as const;
const dash = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
const secs = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)}s`);

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
    description: 'per peer: delivered, pending, failed, expired, oldest pending age and worst delivery lag',
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

export class RedeliverCommand extends RouterctlCommand {
  static override paths = [['federation', 'redeliver']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'send an event to its peers again (its deliveries go back to pending)',
    examples: [['Resend to one peer', '$0 federation redeliver 01JDX… --peer cloud']],
  });
  eventId = Option.String({ name: 'event-id' });
  peer = Option.String('--peer', { description: 'only to this EventPeer' });

  async run(): Promise<void> {
    const { requeued } = await this.client().redeliver(this.eventId, this.peer);
    this.write(`requeued ${requeued} deliver${requeued === 1 ? 'y' : 'ies'} of ${this.eventId}\n`);
  }
}

export class PruneCommand extends ReadCommand {
  static override paths = [['federation', 'event', 'prune']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'apply retention now; --dry-run lists exactly what would be removed',
  });
  dryRun = Option.Boolean('--dry-run', false, { description: 'only list what a prune would remove' });

  async run(): Promise<void> {
    const res = await this.client().prune(this.dryRun);
    if (this.output !== 'table') return this.write(await renderData(this.output, res));
    const rows = res.events.map((e) => [e.id, e.group, e.type, e.reason, e.undelivered ? 'yes' : 'no']);
    const table = rows.length ? renderTable(['ID', 'GROUP', 'TYPE', 'REASON', 'UNDELIVERED'], rows) : '';
    const verb = this.dryRun ? 'would remove' : 'removed';
    const extra = res.removed
      ? ` (and ${res.removed.deliveries} delivery rows, ${res.removed.webhooks} replay records)`
      : '';
    this.write(`${table}${verb} ${res.events.length} event${res.events.length === 1 ? '' : 's'}${extra}\n`);
  }
}
