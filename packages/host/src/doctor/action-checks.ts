/**
 * The doctor's provider-action checks: executions waiting for a person too long, executions that failed
 * recently, and tool paths an ActionPolicy names that do not exist (every step of that provider would
 * fail). Pure functions of what the daemon read; the tool files are looked at through `toolFile`.
 */
import type { ExecutionRecord } from '@routerd/host-wire';
import { parseDuration } from '@routerd/plugin-sdk';
import type { ActionPolicy } from '../config/schemas.js';
import { type Check, flag, pass } from './checks.js';

/** An execution whose provider has no ActionPolicy any more (it cannot run): the schema's default. */
const DEFAULT_APPROVAL_WARN_MS = 60 * 60_000;
/** Failed executions finished within this window are reported. */
export const FAILED_ACTIONS_WINDOW_MS = 24 * 60 * 60_000;

export type ToolFileState = 'ok' | 'missing' | 'not-executable' | 'not-a-file';

export interface ActionDoctorInputs {
  policies: readonly ActionPolicy[];
  awaiting: readonly ExecutionRecord[];
  /** Failed executions, newest first (the window is applied here). */
  failed: readonly ExecutionRecord[];
  toolFile: (path: string) => ToolFileState;
  now: number;
}

const mins = (ms: number) => `${Math.round(ms / 60_000)} min`;

export function actionChecks(i: ActionDoctorInputs): Check[] {
  if (i.policies.length === 0) return [];
  const checks: Check[] = [];
  // Each execution against its provider's ActionPolicy.spec.approvalWarnAfter (1h by default).
  const warnAfter = new Map(
    i.policies.map((p) => [p.metadata.name, parseDuration(p.spec.approvalWarnAfter)]),
  );
  const limitOf = (r: ExecutionRecord) => warnAfter.get(r.provider) ?? DEFAULT_APPROVAL_WARN_MS;
  const late = i.awaiting.filter((r) => i.now - Date.parse(r.createdAt) > limitOf(r));
  checks.push(
    late.length
      ? flag(
          'WARN',
          'action-awaiting-approval',
          'actions',
          `${late.length} execution(s) awaiting approval for more than ${mins(limitOf(late[0]!))} (ActionPolicy/${late[0]!.provider} approvalWarnAfter), the oldest ${late[0]!.id} (${late[0]!.action} on ${late[0]!.provider}) since ${late[0]!.createdAt}`,
          'decide: `routerctl action journal --state awaiting-approval`, then `routerctl action approve ID` or `routerctl action reject ID`',
        )
      : pass('action-awaiting-approval', 'actions', `${i.awaiting.length} awaiting approval, none for long`),
  );
  const recent = i.failed.filter(
    (r) => r.finishedAt && i.now - Date.parse(r.finishedAt) <= FAILED_ACTIONS_WINDOW_MS,
  );
  checks.push(
    recent.length
      ? flag(
          'WARN',
          'action-failed',
          'actions',
          `${recent.length} execution(s) failed in the last 24 h, the latest ${recent[0]!.id} (${recent[0]!.action} on ${recent[0]!.provider}): ${recent[0]!.reason ?? 'no reason recorded'}`,
          '`routerctl action journal ID` shows every step with its exit code and stderr; fix the cause, then let the plan be submitted again',
        )
      : pass('action-failed', 'actions', 'no execution failed in the last 24 h'),
  );
  for (const policy of i.policies)
    for (const [tool, path] of Object.entries(policy.spec.tools)) {
      const subject = `ActionPolicy/${policy.metadata.name} tools.${tool}`;
      const state = i.toolFile(path);
      checks.push(
        state === 'ok'
          ? pass('action-tool-path', subject, `${path} is an executable file`)
          : flag(
              'FAIL',
              'action-tool-path',
              subject,
              `${path} ${state === 'missing' ? 'does not exist' : state === 'not-a-file' ? 'is not a file' : 'is not executable by the daemon'}: every step with tool "${tool}" fails`,
              `install the tool there (e.g. the awscli package puts aws at /usr/bin/aws) or change spec.tools.${tool} to its absolute path, then reload`,
            ),
      );
    }
  return checks;
}
