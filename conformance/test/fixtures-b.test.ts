import { describe, expect, it } from 'vitest';
import { conformance, expectExactly, fixture } from './self-test.js';

// Runner self-test, part 2 (see fixtures-a.test.ts).
describe('broken plugins fail exactly their checks', () => {
  it('claims-ungranted: action plans without declaring propose.providerAction', async () => {
    expectExactly(await conformance(fixture('claims-ungranted.mjs')), {
      'capabilities.output-within-granted': 'fail',
    });
  });

  it('declares-ungranted: declares execute.providerAction, which the plugin-side R-C1 forbids', async () => {
    const report = await conformance(fixture('declares-ungranted.mjs'));
    expectExactly(report, { 'lifecycle.declared-within-granted': 'fail' });
    // Not the host's rule (R-L5): what the plugin's author has to change.
    expect(report.checks.find((c) => c.id === 'lifecycle.declared-within-granted')!.violated).toEqual([
      {
        requirement: 'R-C1',
        sentence:
          'It MUST NOT declare `execute.providerAction`, which v1 reserves for a later executor protocol.',
      },
    ]);
  });

  it('invalid-result: reported by every check that looks at results', async () => {
    const report = await conformance(fixture('invalid-result.mjs'));
    expectExactly(report, {
      'schema.messages-valid': 'fail',
      'capabilities.propose.dynamicConfig.golden-vectors': 'fail',
      'capabilities.propose.dynamicConfig.results-valid': 'fail',
    });
    // A result that does not validate breaks R-W1, not R-W3 (domain problems as diagnostics).
    const vectors = report.checks.find((c) => c.id === 'capabilities.propose.dynamicConfig.golden-vectors')!;
    expect(vectors.violated?.map((v) => v.requirement)).toEqual(['R-W1']);
    expect(vectors.violated?.[0]?.sentence).toMatch(/validates against `plugin-result\.schema\.json`/);
  });

  it('non-inert-action-plan: mode execute (which the result schema refuses too)', async () => {
    expectExactly(await conformance(fixture('non-inert-action-plan.mjs')), {
      'schema.messages-valid': 'fail',
      'capabilities.propose.providerAction.golden-vectors': 'fail',
      'capabilities.propose.providerAction.results-valid': 'fail',
      'capabilities.propose.providerAction.plans-inert': 'fail',
    });
  });

  it('stderr-flood: blocking on an unread stderr fails; the flood itself does not', async () => {
    expectExactly(await conformance(fixture('stderr-flood.mjs')), {
      'robustness.keeps-working-while-stderr-unread': 'fail',
    });
  });

  it('no-exit-on-eof', async () => {
    expectExactly(await conformance(fixture('no-exit-on-eof.mjs')), {
      'lifecycle.exits-on-stdin-eof': 'fail',
    });
  });

  it('sloppy-transport: a careless JSON-RPC reader', async () => {
    // It leaves some requests unanswered: a short request timeout keeps the wait short.
    expectExactly(await conformance(fixture('sloppy-transport.mjs'), { requestMs: 1000 }), {
      'transport.parse-error': 'fail',
      'transport.batch-refused': 'fail',
      'transport.unknown-method': 'fail',
      'transport.invalid-params': 'fail',
      'transport.request-ids': 'fail',
      'transport.ignores-unknown-fields': 'fail',
      'transport.oversize-refused': 'fail',
      'transport.message-limit-exact': 'fail', // it reads the line one byte over the limit, too
      'transport.stderr-json-logs': 'warn',
    });
  });

  it('sloppy-lifecycle: a careless lifecycle, and three SHOULDs', async () => {
    expectExactly(await conformance(fixture('sloppy-lifecycle.mjs')), {
      'lifecycle.gated-before-initialized': 'fail',
      'lifecycle.ping': 'fail',
      'lifecycle.shutdown': 'fail',
      'transport.plugin-id-prefix': 'warn',
      'capabilities.deterministic': 'warn',
      'robustness.progress-monotonic': 'warn',
    });
  });

  it('counts-line-feed: refuses a line of exactly limits.maxMessageBytes', async () => {
    expectExactly(await conformance(fixture('counts-line-feed.mjs')), {
      'transport.message-limit-exact': 'fail',
    });
  });

  it('lenient-request: makes up missing request fields instead of refusing the request', async () => {
    const report = await conformance(fixture('lenient-request.mjs'));
    expectExactly(report, { 'transport.required-request-fields': 'fail' });
    const check = report.checks.find((c) => c.id === 'transport.required-request-fields')!;
    expect(check.details).toContain('without /spec/deadline: answered with a result');
    expect(check.details).toContain('without /spec/events: answered with a result');
  });

  it('deadline-from-now: counts the deadline from spec.now, not by the clock', async () => {
    expectExactly(await conformance(fixture('deadline-from-now.mjs')), {
      'robustness.deadline-by-clock': 'fail',
    });
  });

  it('wrong-protocol-version', async () => {
    expectExactly(await conformance(fixture('wrong-protocol-version.mjs')), {
      'lifecycle.version-negotiation': 'fail',
      'lifecycle.unsupported-version-refused': 'fail',
    });
  });
});
