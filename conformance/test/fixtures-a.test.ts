import { describe, expect, it } from 'vitest';
import { allChecksExcept, conformance, expectExactly, fixture, PYTHON_EXAMPLE } from './self-test.js';

// Runner self-test, part 1: correct plugins pass 100%, and the first broken fixtures fail exactly the
// checks for their defect. (Split in two files so vitest's two workers share the load.)
describe('correct plugins pass the whole suite', () => {
  it('the SDK reference plugin (every capability) passes every check', async () => {
    const report = await conformance(fixture('reference.mjs'));
    expectExactly(report, {});
    expect(report.ok).toBe(true);
    expect(report.summary.pass).toBe(report.summary.total);
  });

  it('the raw-protocol base of the broken fixtures passes every check it is not skipped for', async () => {
    const report = await conformance(fixture('raw-reference.mjs'));
    expectExactly(report, {});
    expect(report.summary.skip).toBe(5); // observe.events and propose.providerAction are not declared
  });

  it('the no-SDK Python example passes every check', async () => {
    const report = await conformance(PYTHON_EXAMPLE);
    expectExactly(report, {});
    expect(report.ok).toBe(true);
  });
});

describe('broken plugins fail exactly their checks', () => {
  it('stdout-banner', async () => {
    expectExactly(await conformance(fixture('stdout-banner.mjs')), {
      'transport.stdout-only-protocol': 'fail',
    });
  });

  it('never-answers: the handshake, and everything that needs it as not testable', async () => {
    const report = await conformance(fixture('never-answers.mjs'));
    expectExactly(
      report,
      allChecksExcept('lifecycle.refuses-without-cookie', 'transport.stdout-only-protocol'),
    );
    const notTestable = report.checks.filter((c) => c.notTestable).map((c) => c.id);
    expect(notTestable).not.toContain('lifecycle.initialize-within-deadline');
    expect(notTestable.length).toBe(report.summary.fail - 1);
    expect(report.startError).toBeUndefined();
  });

  it('crash-on-call: every check that needs a plugin/run answer', async () => {
    expectExactly(await conformance(fixture('crash-on-call.mjs')), {
      'transport.large-message': 'fail',
      'transport.unicode': 'fail',
      'transport.ignores-unknown-fields': 'fail',
      'transport.stderr-json-logs': 'warn', // the crash message is plain text
      'capabilities.propose.dynamicConfig.golden-vectors': 'fail',
      'capabilities.propose.dynamicConfig.results-valid': 'fail',
      'capabilities.output-within-granted': 'fail',
      'capabilities.deterministic': 'fail',
      'robustness.cancel-honoured': 'fail',
      'robustness.deadline-respected': 'fail',
      'robustness.keeps-working-while-stderr-unread': 'fail',
      'robustness.concurrent-requests': 'warn',
    });
  });

  it('ignores-cancel', async () => {
    expectExactly(await conformance(fixture('ignores-cancel.mjs')), { 'robustness.cancel-honoured': 'fail' });
  });

  it('ignores-deadline: also when the deadline had passed before the request arrived', async () => {
    expectExactly(await conformance(fixture('ignores-deadline.mjs')), {
      'robustness.deadline-respected': 'fail',
      'robustness.deadline-by-clock': 'fail',
    });
  });

  it('leaks-child', async () => {
    const report = await conformance(fixture('leaks-child.mjs'));
    expectExactly(report, { 'lifecycle.no-process-left-in-group': 'fail' });
    expect(report.checks.find((c) => c.id === 'lifecycle.no-process-left-in-group')?.details.join()).toMatch(
      /sleep 300/,
    );
  });
});
