/** routerctl dynamic list | describe | render, federation subscription runs | retry, action list | show. */
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ReadCommand, RouterctlCommand } from '../base-command.js';
import { renderData, renderTable } from '../output.js';

const dash = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

export class DynamicListCommand extends ReadCommand {
  static override paths = [['dynamic', 'list']];
  static override usage = Command.Usage({
    category: 'dynamic config',
    description: 'DynamicConfigParts: source, generation, state, expiry, what they carry',
  });

  async run(): Promise<void> {
    const { parts } = await this.client().dynamicParts();
    if (this.output !== 'table') return this.write(await renderData(this.output, parts));
    if (parts.length === 0) return this.write('No dynamic parts.\n');
    this.write(
      renderTable(
        ['NAME', 'SOURCE', 'GEN', 'STATE', 'EXPIRES', 'RESOURCES', 'PLANS'],
        parts.map((p) => [
          p.name,
          p.source,
          String(p.generation),
          p.state,
          dash(p.expiresAt),
          p.resources.join(',') || '-',
          String(p.actionPlans),
        ]),
      ),
    );
  }
}

export class DynamicDescribeCommand extends ReadCommand {
  static override paths = [['dynamic', 'describe']];
  static override usage = Command.Usage({
    category: 'dynamic config',
    description:
      'one DynamicConfigPart in full: resources with their annotations, directives, action plans (dry-run, not executed)',
  });
  name = Option.String();

  async run(): Promise<void> {
    const { state, part } = await this.client().dynamicPart(this.name);
    // A part is structured data: the "table" view is YAML, the most readable rendering of it.
    this.write(await renderData(this.output === 'json' ? 'json' : 'yaml', { state, ...part }));
  }
}

export class DynamicRenderCommand extends ReadCommand {
  static override paths = [['dynamic', 'render']];
  static override usage = Command.Usage({
    category: 'dynamic config',
    description: 'the effective config: startup resources + active dynamic parts − masks',
  });

  async run(): Promise<void> {
    const rendered = await this.client().render();
    if (this.output === 'json') return this.write(await renderData('json', rendered));
    // YAML by default: a multi-document stream of the effective resources, like the config files.
    const { stringify } = await import('yaml');
    this.write(rendered.resources.map((r) => `---\n${stringify(r)}`).join(''));
  }
}

const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'expired'] as const;

export class SubscriptionRunsCommand extends ReadCommand {
  static override paths = [['federation', 'subscription', 'runs']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'the run ledger: one row per (subscription, event) with status, attempts and last error',
  });
  subscription = Option.String('--subscription', { description: 'only this EventSubscription' });
  status = Option.String('--status', {
    description: 'pending, running, succeeded, failed or expired',
    validator: t.isEnum(RUN_STATUSES),
  });
  limit = Option.String('--limit', {
    description: 'at most this many rows (default 100)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 10_000)]),
  });

  async run(): Promise<void> {
    const { runs } = await this.client().subscriptionRuns({
      subscription: this.subscription,
      status: this.status,
      limit: this.limit,
    });
    if (this.output !== 'table') return this.write(await renderData(this.output, runs));
    if (runs.length === 0) return this.write('No subscription runs.\n');
    this.write(
      renderTable(
        ['SUBSCRIPTION', 'EVENT', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR'],
        runs.map((r) => [
          r.subscription,
          r.eventId,
          r.status,
          String(r.attempts),
          dash(r.nextAttemptAt),
          dash(r.lastError),
        ]),
      ),
    );
  }
}

export class SubscriptionRetryCommand extends RouterctlCommand {
  static override paths = [['federation', 'subscription', 'retry']];
  static override usage = Command.Usage({
    category: 'federation',
    description: 'run failed (subscription, event) pairs again now',
    examples: [['Everything failed for a subscription', '$0 federation subscription retry onprem-clients']],
  });
  subscription = Option.String();
  eventId = Option.String('--event-id', { description: 'only this event' });

  async run(): Promise<void> {
    const { requeued } = await this.client().retrySubscription(this.subscription, this.eventId);
    this.write(
      requeued.length
        ? `requeued ${requeued.length}: ${requeued.join(', ')}\n`
        : 'nothing to retry: no failed runs\n',
    );
  }
}

export class ActionListCommand extends ReadCommand {
  static override paths = [['action', 'list']];
  static override usage = Command.Usage({
    category: 'actions',
    description:
      'provider action plans of active dynamic parts, each with the state of its latest execution in the action journal',
  });

  async run(): Promise<void> {
    const client = this.client();
    const { actions } = await client.actions();
    if (this.output !== 'table') return this.write(await renderData(this.output, actions));
    if (actions.length === 0) return this.write('No planned actions.\n');
    // The journal lists newest first: the first execution seen per plan is its latest.
    const latest = new Map<string, { id: string; state: string }>();
    for (const e of (await client.executions()).executions)
      if (!latest.has(e.idempotencyKey)) latest.set(e.idempotencyKey, e);
    this.write(
      renderTable(
        ['ID', 'PROVIDER', 'ACTION', 'TARGET', 'IDEMPOTENCY KEY', 'STATE', 'EXECUTION'],
        actions.map((a) => {
          const e = latest.get(a.idempotencyKey);
          return [
            a.id,
            a.provider,
            a.action,
            `${a.target.nicRef ?? '-'} ${a.target.address ?? ''}`.trim(),
            a.idempotencyKey,
            e ? e.state : `${a.status} (not journaled)`,
            e ? e.id : '-',
          ];
        }),
      ),
    );
  }
}

export class ActionShowCommand extends ReadCommand {
  static override paths = [['action', 'show']];
  static override usage = Command.Usage({
    category: 'actions',
    description: 'one planned action in full, with the exact commands an executor would run',
  });
  id = Option.String();

  async run(): Promise<void> {
    const { action, plan } = await this.client().action(this.id);
    if (this.output === 'json') return this.write(await renderData('json', { action, plan }));
    const lines = [
      `${action.id}: ${action.action} on ${action.provider} — ${action.status}, NOT executed (mode: dry-run)`,
      `part: ${action.part}   idempotency key: ${action.idempotencyKey}`,
      '',
      'commands an executor would run (argv, no shell):',
      ...plan.steps.map(
        (s, i) =>
          `  ${i + 1}. [${s.id}] ${[s.tool, ...s.argv].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`,
      ),
      '',
    ];
    this.write(`${lines.join('\n')}${await renderData('yaml', plan)}`);
  }
}
