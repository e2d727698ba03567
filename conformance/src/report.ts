import { type } from 'arktype';

/**
 * The JSON report of a conformance run. This arktype definition is the source of
 * conformance/schema/report.schema.json (scripts/generate-schemas.mjs; a test fails when it is stale).
 */
export const CheckStatus = type("'pass' | 'fail' | 'warn' | 'skip' | 'xfail'");
export type CheckStatus = typeof CheckStatus.infer;

export const CheckResult = type({
  id: 'string',
  group: "'lifecycle' | 'transport' | 'schema' | 'capabilities' | 'robustness'",
  title: 'string',
  requirements: 'string[]',
  sentence: 'string',
  severity: "'must' | 'should'",
  /**
   * For a failure or warning: the requirement(s) it breaks, each with its sentence — for a check that
   * verifies several requirements, only those this plugin broke (e.g. R-W1 for a result that does not
   * validate, not R-W3). Renderers quote these.
   */
  'violated?': type({ requirement: 'string', sentence: 'string' }).array(),
  /** pass; fail (a MUST violated, or not testable); warn (a SHOULD violated); skip (capability not declared); xfail (failing, listed in the expected-failures file). */
  status: CheckStatus,
  message: 'string',
  /** One line per problem found (e.g. each schema violation). */
  details: 'string[]',
  /** The check could not run because something it needs is missing (a failure, never a skip). */
  notTestable: 'boolean',
  durationMs: 'number',
  /** Why the check is expected to fail (from the expected-failures file). */
  'expectedFailure?': 'string',
  /** The end of the plugin's stderr during this check. */
  'stderrTail?': 'string',
  /** Transcript and stderr files of this check's sessions, relative to --output-dir. */
  'files?': 'string[]',
});
export type CheckResult = typeof CheckResult.infer;

export const Summary = type({
  total: 'number.integer >= 0',
  pass: 'number.integer >= 0',
  fail: 'number.integer >= 0',
  warn: 'number.integer >= 0',
  skip: 'number.integer >= 0',
  xfail: 'number.integer >= 0',
  staleExpectedFailures: 'number.integer >= 0',
});
export type Summary = typeof Summary.infer;

export const Report = type({
  reportVersion: '1',
  tool: { name: 'string', version: 'string' },
  plugin: {
    executable: 'string',
    args: 'string[]',
    'name?': 'string',
    'version?': 'string',
    'sdk?': { name: 'string', version: 'string' },
    'protocolVersion?': 'number',
    'declaredCapabilities?': 'string[]',
  },
  granted: 'string[]',
  startedAt: 'string',
  durationMs: 'number',
  /** Set when the plugin could not be started at all (the CLI then exits 2). */
  'startError?': 'string',
  /** true when no check failed and no expected-failures entry is stale. */
  ok: 'boolean',
  summary: Summary,
  checks: CheckResult.array(),
  /** Expected-failures entries that matched no failing check: the debt was paid, remove the entry. */
  staleExpectedFailures: type({ entry: 'string', 'reason?': 'string' }).array(),
  'outputDir?': 'string',
});
export type Report = typeof Report.infer;
