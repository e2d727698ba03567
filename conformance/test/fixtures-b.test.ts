import { describe, it } from 'vitest';
import { conformance, expectExactly, fixture } from './self-test.js';

// Runner self-test, part 2 (see fixtures-a.test.ts).
describe('broken plugins fail exactly their checks', () => {
  it('claims-ungranted: action plans without declaring propose.providerAction', async () => {
    expectExactly(await conformance(fixture('claims-ungranted.mjs')), {
      'capabilities.output-within-granted': 'fail',
    });
  });

  it('declares-ungranted: declares execute.providerAction', async () => {
    expectExactly(await conformance(fixture('declares-ungranted.mjs')), {
      'lifecycle.declared-within-granted': 'fail',
    });
  });

  it('invalid-result: reported by every check that looks at results', async () => {
    expectExactly(await conformance(fixture('invalid-result.mjs')), {
      'schema.messages-valid': 'fail',
      'capabilities.propose.dynamicConfig.golden-vectors': 'fail',
      'capabilities.propose.dynamicConfig.results-valid': 'fail',
    });
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

  it('wrong-protocol-version', async () => {
    expectExactly(await conformance(fixture('wrong-protocol-version.mjs')), {
      'lifecycle.version-negotiation': 'fail',
      'lifecycle.unsupported-version-refused': 'fail',
    });
  });
});
