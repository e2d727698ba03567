/** routerctl action journal [ID] | approve ID | reject ID | run ID --dry-run | undo ID: the action journal. */
import { userInfo } from 'node:os';
import type { ExecutionRecord, ExecutionState } from '@routerd/host-wire';
import { MAX_LIST_LIMIT } from '@routerd/host-wire/constants';
import { Command, Option, UsageError } from 'clipanion';
import { ReadCommand } from '../base-command.js';
import { capturedView } from '../captured.js';
import { renderData, renderTable } from '../output.js';

const EXECUTION_STATES: readonly ExecutionState[] = [
  'awaiting-approval',
  'approved',
  'running',
  'succeeded',
  'already-done',
  'held-elsewhere',
  'failed',
  'cancelled',
  'undone',
];
const dash = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
const shellWord = (a: string) => (/[\s"'{}]/.test(a) ? JSON.stringify(a) : a);

/** Who decided, for the journal: --by, else the user running routerctl. */
const byOption = () =>
  Option.String('--by', {
    description: 'the name journaled as who decided (default: the user running routerctl)',
  });
const whoAmI = (by: string | undefined) => by ?? `${userInfo().username} (routerctl)`;

function describe(e: ExecutionRecord): string {
  const lines = [
    `${e.id}: ${e.action} on ${e.provider} (${e.phase}, risk ${e.risk}) — ${e.state}`,
    `plan: ${e.plan.name}   nic: ${e.nic}${e.address ? `   address: ${e.address}` : ''}`,
    `source: ${e.source}   mode: ${e.mode}   approved by: ${dash(e.approvedBy)} at ${dash(e.approvedAt)}`,
    `created: ${e.createdAt}   finished: ${dash(e.finishedAt)}${e.undoOf ? `   undoes: ${e.undoOf}` : ''}`,
    ...(e.reason ? [`reason: ${e.reason}`] : []),
    '',
    e.steps.length ? 'steps (argv, no shell):' : 'no step has run',
    ...e.steps.flatMap((s) => [
      `  [${s.step}] attempt ${s.attempt}: ${s.outcome}, exit ${s.exitCode}, ${s.durationMs} ms — ${s.argv.map(shellWord).join(' ')}`,
      ...(s.stderrTail.trim() ? [`      stderr: ${s.stderrTail.trim().split('\n').at(-1)}`] : []),
    ]),
    '',
  ];
  return lines.join('\n');
}

export class ActionJournalCommand extends ReadCommand {
  static override paths = [['action', 'journal']];
  static override usage = Command.Usage({
    category: 'actions',
    description: 'executions of action plans, newest first; with an ID, one in full with every step',
    examples: [
      ['What waits for a person', '$0 action journal --state awaiting-approval'],
      ['One execution, step by step', '$0 action journal 6f1c…'],
    ],
  });
  id = Option.String({ required: false });
  state = Option.String('--state', { description: `only this state: ${EXECUTION_STATES.join(', ')}` });
  limit = Option.String('--limit', { description: 'at most this many (default 1000)' });

  async run(): Promise<void> {
    if (this.id) {
      const { execution } = await this.client().execution(this.id);
      if (this.output !== 'table') return this.write(await renderData(this.output, execution));
      return this.write(describe(execution));
    }
    if (this.state && !EXECUTION_STATES.includes(this.state as ExecutionState))
      throw new UsageError(`--state must be one of ${EXECUTION_STATES.join(', ')} (was "${this.state}")`);
    const { executions } = await this.client().executions({
      ...(this.state ? { state: this.state as ExecutionState } : {}),
      ...(this.limit ? { limit: Number(this.limit) } : {}),
    });
    if (this.output !== 'table') return this.write(await renderData(this.output, executions));
    if (executions.length === 0) return this.write('No executions.\n');
    this.write(
      renderTable(
        ['ID', 'PROVIDER', 'ACTION', 'TARGET', 'STATE', 'MODE', 'APPROVED BY', 'UPDATED', 'REASON'],
        executions.map((e) => [
          e.id,
          e.provider,
          e.action,
          `${e.nic} ${e.address ?? ''}`.trim(),
          e.state,
          e.mode,
          dash(e.approvedBy),
          e.updatedAt,
          dash(e.reason),
        ]),
      ),
    );
  }
}

abstract class DecisionCommand extends ReadCommand {
  id = Option.String();
  by = byOption();
  abstract readonly decision: 'approve' | 'reject' | 'undo';

  async run(): Promise<void> {
    const { execution } = await this.client().decideExecution(this.id, this.decision, whoAmI(this.by));
    if (this.output !== 'table') return this.write(await renderData(this.output, execution));
    this.write(`${execution.id}: ${execution.action} on ${execution.provider} — ${execution.state}\n`);
  }
}

export class ActionApproveCommand extends DecisionCommand {
  static override paths = [['action', 'approve']];
  static override usage = Command.Usage({
    category: 'actions',
    description: 'approve an execution awaiting approval: it runs when its NIC and the rate limit allow',
  });
  readonly decision = 'approve';
}

export class ActionRejectCommand extends DecisionCommand {
  static override paths = [['action', 'reject']];
  static override usage = Command.Usage({
    category: 'actions',
    description: 'reject an execution that has not started: it is cancelled, never run',
  });
  readonly decision = 'reject';
}

export class ActionUndoCommand extends DecisionCommand {
  static override paths = [['action', 'undo']];
  static override usage = Command.Usage({
    category: 'actions',
    description:
      "run a succeeded execution's undo (the release plan of an assign) as a journaled execution; the original becomes undone",
  });
  readonly decision = 'undo';
}

export class ActionRunCommand extends ReadCommand {
  static override paths = [['action', 'run']];
  static override usage = Command.Usage({
    category: 'actions',
    description:
      'print the commands a plan would run and what the ActionPolicy in force would do with it (only --dry-run: executions start by approve or by an auto rule)',
    examples: [
      ['The commands of a planned action', '$0 action run aws-assign-secondary-ip-10-88-60-9 --dry-run'],
    ],
  });
  id = Option.String();
  dryRun = Option.Boolean('--dry-run', false, { description: 'required: nothing is run' });

  async run(): Promise<void> {
    if (!this.dryRun)
      throw new UsageError(
        'action run needs --dry-run: an execution starts by `routerctl action approve ID` or by an auto rule of its ActionPolicy',
      );
    const { plan, dryRun } = await this.client().actionDryRun(this.id);
    if (this.output !== 'table') return this.write(await renderData(this.output, { plan, dryRun }));
    const policy = dryRun.governed
      ? `the policy would ${dryRun.mode === 'auto' ? 'run it by itself' : 'wait for approval'} (${dryRun.decidedBy})`
      : `nothing would run: ${dryRun.decidedBy} (the plan stays inert)`;
    const lines = [
      `${plan.name}: ${plan.action} on ${plan.provider} (${plan.phase ?? 'provision'}, risk ${plan.riskLevel}) — DRY RUN, nothing is run`,
      policy,
      '',
      'commands, in order (argv, no shell):',
      ...dryRun.steps.map(
        (s, i) =>
          `  ${i + 1}. [${s.step}${s.mutating ? ', mutating' : ''}] ${s.argv.map(shellWord).join(' ')}${s.refused ? `\n     refused: ${s.refused}` : ''}`,
      ),
      '',
    ];
    this.write(lines.join('\n'));
  }
}

export class ActionCapturedCommand extends ReadCommand {
  static override paths = [['action', 'captured']];
  static override usage = Command.Usage({
    category: 'actions',
    description:
      'on the node that observes clients: per observed client, whether the cloud has captured its address (from the routerd.provider.action.succeeded|failed events it sent back)',
  });

  async run(): Promise<void> {
    const client = this.client();
    const [observed, succeeded, failed] = await Promise.all([
      client.listEvents({ type: 'routerd.client.ipv4.observed', limit: MAX_LIST_LIMIT }),
      // The cloud's news outlives its one-hour TTL here: an expired outcome is still the last word.
      client.listEvents({
        type: 'routerd.provider.action.succeeded',
        includeExpired: true,
        limit: MAX_LIST_LIMIT,
      }),
      client.listEvents({
        type: 'routerd.provider.action.failed',
        includeExpired: true,
        limit: MAX_LIST_LIMIT,
      }),
    ]);
    const rows = capturedView(observed.events, [...succeeded.events, ...failed.events]);
    if (this.output !== 'table') return this.write(await renderData(this.output, rows));
    if (rows.length === 0) return this.write('No observed clients.\n');
    this.write(
      renderTable(
        ['ADDRESS', 'DOMAIN', 'LAST OBSERVED', 'CLOUD', 'PROVIDER', 'SINCE', 'REASON'],
        rows.map((r) => [
          r.address,
          r.domain,
          r.lastObservedAt,
          r.cloud,
          dash(r.provider),
          dash(r.at),
          dash(r.reason),
        ]),
      ),
    );
  }
}
