import type { Capability } from '@routerd/plugin-sdk';

/**
 * The check catalogue: pure data, one entry per check, with the requirement(s) of docs/protocol.md it
 * verifies and the exact sentence it tests (test/requirements.test.ts keeps the sentences, the R-ids and
 * conformance/requirements.json in step with the doc). Ids are stable: reports, expected-failures files
 * and CI dashboards refer to them.
 */

export const GROUPS = ['lifecycle', 'transport', 'schema', 'capabilities', 'robustness'] as const;
export type Group = (typeof GROUPS)[number];

/** MUST → a violation fails the run; SHOULD → a violation is a warning. */
export type Severity = 'must' | 'should';

export interface CheckInfo {
  id: string;
  group: Group;
  title: string;
  requirements: string[];
  /** The MUST/SHOULD sentence of docs/protocol.md (verbatim) this check verifies. */
  sentence: string;
  /**
   * For a check whose failures can break different requirements: the sentence (verbatim) of each further
   * requirement, so a failure quotes the rule it actually breaks (a verdict names it in `violated`).
   */
  clauses?: Record<string, string>;
  severity: Severity;
  /** Capability checks run only when the plugin declares this capability; otherwise they are skipped. */
  capability?: Capability;
}

/** Capabilities with output in v1; `execute.providerAction` is reserved and refused by hosts. */
export const TESTED_CAPABILITIES = [
  'observe.events',
  'propose.dynamicConfig',
  'propose.providerAction',
] as const;
export type TestedCapability = (typeof TESTED_CAPABILITIES)[number];

const lifecycle: CheckInfo[] = [
  {
    id: 'lifecycle.refuses-without-cookie',
    group: 'lifecycle',
    title: 'started without the magic cookie, it says so on stderr and exits 1 without reading stdin',
    requirements: ['R-S3'],
    sentence:
      'A plugin started without the magic cookie (for example by hand from a shell) MUST print one line to stderr saying that it is a routerd plugin and how it is meant to be started, and exit with status 1, without reading stdin.',
    severity: 'must',
  },
  {
    id: 'lifecycle.initialize-within-deadline',
    group: 'lifecycle',
    title: 'answers initialize within the handshake timeout',
    requirements: ['R-L1'],
    sentence: 'The plugin MUST answer `initialize` within the handshake timeout',
    severity: 'must',
  },
  {
    id: 'lifecycle.initialize-fast',
    group: 'lifecycle',
    title: 'answers initialize in well under a second',
    requirements: ['R-L1'],
    sentence: 'a plugin SHOULD answer in well under a second',
    severity: 'should',
  },
  {
    id: 'lifecycle.unknown-config-field-refused',
    group: 'lifecycle',
    title: 'refuses a config field its schema does not declare, with -32602 and its path',
    requirements: ['R-L4'],
    sentence: 'It MUST also refuse, the same way, a field its schema does not declare, at any depth',
    severity: 'must',
  },
  {
    id: 'lifecycle.version-negotiation',
    group: 'lifecycle',
    title: 'chooses a protocol version the host offered (the highest both speak)',
    requirements: ['R-L3'],
    sentence: 'The chosen `protocolVersion` MUST be one the host offered.',
    severity: 'must',
  },
  {
    id: 'lifecycle.unsupported-version-refused',
    group: 'lifecycle',
    title: 'refuses an unsupported protocol version with -32022 and {supported, requested}',
    requirements: ['R-L2'],
    sentence:
      'If the plugin speaks none of the offered versions it MUST answer error `-32022` with `data: {supported: [...], requested: N}`.',
    severity: 'must',
  },
  {
    id: 'lifecycle.declared-within-granted',
    group: 'lifecycle',
    title: 'declares no reserved capability, and only capabilities the operator grants',
    requirements: ['R-C1', 'R-L5'],
    sentence:
      'It MUST NOT declare `execute.providerAction`, which v1 reserves for a later executor protocol.',
    // Declaring a v1 capability that --grant withholds breaks no plugin-side rule: the host refuses it.
    clauses: { 'R-L5': 'The host MUST refuse a plugin whose declared capabilities are not all granted' },
    severity: 'must',
  },
  {
    id: 'lifecycle.gated-before-initialized',
    group: 'lifecycle',
    title: 'refuses plugin/run with -32030 and publishes nothing before notifications/initialized',
    requirements: ['R-L6', 'R-P1'],
    sentence: 'the plugin MUST answer such a request with `-32030` (NotInitialized).',
    severity: 'must',
  },
  {
    id: 'lifecycle.ping',
    group: 'lifecycle',
    title: 'answers ping with {} after initialize',
    requirements: ['R-L7'],
    sentence:
      'The plugin MUST answer `ping` (either direction) with an empty object `{}` at any time after `initialize`.',
    severity: 'must',
  },
  {
    id: 'lifecycle.shutdown',
    group: 'lifecycle',
    title: 'answers shutdown with {}, then refuses plugin/run with -32033',
    requirements: ['R-L8'],
    sentence:
      'The plugin MUST answer `shutdown` with `{}`, then stop starting new work; any later `plugin/run` MUST be answered with `-32033` (ShuttingDown).',
    severity: 'must',
  },
  {
    id: 'lifecycle.exits-on-stdin-eof',
    group: 'lifecycle',
    title: 'exits with status 0 within 2 s of stdin EOF',
    requirements: ['R-L9'],
    sentence:
      'The plugin MUST exit within 2 seconds after its stdin reaches end-of-file, with status 0 when it was not in error.',
    severity: 'must',
  },
  {
    id: 'lifecycle.no-process-left-in-group',
    group: 'lifecycle',
    title: 'leaves no process in its process group after it exits',
    requirements: ['R-L10'],
    sentence: 'The plugin MUST NOT leave any process running in its process group after it exits.',
    severity: 'must',
  },
];

const transport: CheckInfo[] = [
  {
    id: 'transport.stdout-only-protocol',
    group: 'transport',
    title: 'writes only protocol messages (UTF-8 JSON objects, one per line) to stdout, from spawn to exit',
    requirements: ['R-T1', 'R-T3'],
    sentence: 'The plugin MUST write nothing to stdout except protocol messages, from its start to its exit.',
    severity: 'must',
  },
  {
    id: 'transport.crlf',
    group: 'transport',
    title: 'accepts CRLF line endings',
    requirements: ['R-T2'],
    sentence: 'A reader MUST accept a carriage return before the line feed (`\\r\\n`) and ignore it.',
    severity: 'must',
  },
  {
    id: 'transport.large-message',
    group: 'transport',
    title: 'accepts a 1 MiB message',
    requirements: ['R-T9'],
    sentence: 'Messages up to the negotiated `limits.maxMessageBytes` (default 8 MiB) MUST be accepted',
    severity: 'must',
  },
  {
    id: 'transport.oversize-refused',
    group: 'transport',
    title: 'refuses a line over the negotiated limit with -32600 and id null, then reads the next one',
    requirements: ['R-T9'],
    sentence: 'a longer line MUST be refused with `-32600` and `id: null` and skipped up to its line feed',
    severity: 'must',
  },
  {
    id: 'transport.message-limit-exact',
    group: 'transport',
    title:
      'reads a line of exactly limits.maxMessageBytes bytes (the line feed not counted) and refuses one byte more',
    requirements: ['R-T9'],
    sentence:
      'The limit counts the bytes before the line feed: a line of exactly `maxMessageBytes` bytes and its `\\n` MUST be accepted.',
    severity: 'must',
  },
  {
    id: 'transport.unicode',
    group: 'transport',
    title: 'reads and answers messages with multi-byte UTF-8 (including U+2028 and astral characters)',
    requirements: ['R-T1'],
    sentence:
      'Each message MUST be a single JSON object encoded as UTF-8 and terminated by a line feed (`\\n`)',
    severity: 'must',
  },
  {
    id: 'transport.parse-error',
    group: 'transport',
    title: 'answers a line that is not JSON with -32700 and id null, then goes on',
    requirements: ['R-T7'],
    sentence:
      'A line that is not valid JSON MUST be answered with error `-32700` and `id: null`, and the reader MUST go on with the next line.',
    severity: 'must',
  },
  {
    id: 'transport.batch-refused',
    group: 'transport',
    title: 'refuses a JSON-RPC batch with -32600 and id null',
    requirements: ['R-T6'],
    sentence: 'A JSON array (a JSON-RPC batch) MUST be refused with error `-32600` and `id: null`',
    severity: 'must',
  },
  {
    id: 'transport.unknown-method',
    group: 'transport',
    title: 'answers an unknown method with -32601 and ignores an unknown notification',
    requirements: ['R-T8'],
    sentence:
      'A request whose method the receiver does not know MUST be answered with `-32601`; an unknown notification MUST be ignored.',
    severity: 'must',
  },
  {
    id: 'transport.invalid-params',
    group: 'transport',
    title: 'answers an invalid plugin/run request with -32602 and data.issues[] ({path, message})',
    requirements: ['R-W2'],
    sentence:
      'The plugin MUST validate the request and answer `-32602` with `data.issues[]` (`{path, message}`, `path` a JSON Pointer into params) when it does not fit the schema.',
    severity: 'must',
  },
  {
    id: 'transport.required-request-fields',
    group: 'transport',
    title:
      'refuses a plugin/run without any one of the fields plugin-request.schema.json requires, with -32602',
    requirements: ['R-W2'],
    sentence:
      'The plugin MUST validate the request and answer `-32602` with `data.issues[]` (`{path, message}`, `path` a JSON Pointer into params) when it does not fit the schema.',
    severity: 'must',
  },
  {
    id: 'transport.request-ids',
    group: 'transport',
    title: 'treats an id of 0 or "" as an id',
    requirements: ['R-T10'],
    sentence: 'An id of `0` or `""` is valid and MUST be treated as an id, not as "no id".',
    severity: 'must',
  },
  {
    id: 'transport.plugin-id-prefix',
    group: 'transport',
    title: 'allocates its own request ids as strings prefixed p:',
    requirements: ['R-T10'],
    sentence: 'ids the plugin allocates SHOULD be strings prefixed `p:`, so ids never collide.',
    severity: 'should',
  },
  {
    id: 'transport.ignores-unknown-fields',
    group: 'transport',
    title: 'ignores object fields it does not know',
    requirements: ['R-V1'],
    sentence:
      'A receiver MUST ignore object fields it does not know, so optional fields can be added without a new major.',
    severity: 'must',
  },
  {
    id: 'transport.stderr-json-logs',
    group: 'transport',
    title: 'logs to stderr as JSON lines {ts, level, msg, …}',
    requirements: ['R-T4'],
    sentence:
      'The plugin SHOULD write its logs to stderr as JSON lines `{"ts": RFC 3339, "level": "debug|info|warn|error", "msg": "…", …fields}`',
    severity: 'should',
  },
];

const schema: CheckInfo[] = [
  {
    id: 'schema.messages-valid',
    group: 'schema',
    title: 'every message the plugin sent validates against the published schemas',
    requirements: ['R-W1', 'R-W6'],
    sentence:
      'The plugin MUST answer `plugin/run` with a `PluginResult` that validates against `plugin-result.schema.json`, or with a JSON-RPC error.',
    severity: 'must',
  },
];

/** What each kind of golden-vector failure breaks (vectors.ts `judge` names the requirement). */
const VECTOR_CLAUSES = {
  'R-W1':
    'The plugin MUST answer `plugin/run` with a `PluginResult` that validates against `plugin-result.schema.json`, or with a JSON-RPC error.',
  'R-W2':
    'The plugin MUST validate the request and answer `-32602` with `data.issues[]` (`{path, message}`, `path` a JSON Pointer into params) when it does not fit the schema.',
};

function capabilityChecks(capability: TestedCapability): CheckInfo[] {
  return [
    {
      id: `capabilities.${capability}.golden-vectors`,
      group: 'capabilities',
      title: `meets the expectation of every golden vector for ${capability}`,
      requirements: ['R-W1', 'R-W2', 'R-W3'],
      sentence:
        'Domain problems (an address out of range, a metadata service that does not answer) MUST be reported as `status.diagnostics` entries, not as JSON-RPC errors; a JSON-RPC error means the exchange itself failed.',
      clauses: VECTOR_CLAUSES,
      severity: 'must',
      capability,
    },
    {
      id: `capabilities.${capability}.results-valid`,
      group: 'capabilities',
      title: `results for ${capability} requests validate, including well-known kinds and event types`,
      requirements: ['R-W1', 'R-W6'],
      sentence:
        "A result for a well-known kind (for example `RemoteAddressClaim`) or a well-known event type MUST also validate against that kind's or type's schema.",
      severity: 'must',
      capability,
    },
  ];
}

const capabilities: CheckInfo[] = [
  ...TESTED_CAPABILITIES.flatMap(capabilityChecks),
  {
    id: 'capabilities.propose.providerAction.plans-inert',
    group: 'capabilities',
    title: 'every action plan is inert (mode: dry-run)',
    requirements: ['R-C3'],
    sentence: 'Every action plan MUST have `mode: "dry-run"`',
    severity: 'must',
    capability: 'propose.providerAction',
  },
  {
    id: 'capabilities.output-within-granted',
    group: 'capabilities',
    title: 'produces no output that needs a capability it did not declare or was not granted',
    requirements: ['R-C1', 'R-C2'],
    sentence: 'A plugin MUST NOT produce output that needs a capability it was not granted',
    severity: 'must',
  },
  {
    id: 'capabilities.deterministic',
    group: 'capabilities',
    title: 'the same request gives the same resources, directives and plans',
    requirements: ['R-W4'],
    sentence:
      'The plugin SHOULD be deterministic: the same request gives the same resources, plans, names and idempotency keys.',
    severity: 'should',
  },
];

const robustness: CheckInfo[] = [
  {
    id: 'robustness.cancel-honoured',
    group: 'robustness',
    title:
      'after notifications/cancelled it sends no response for the request and stays responsive within the grace',
    requirements: ['R-X1', 'R-X3'],
    sentence:
      'On `notifications/cancelled` the plugin MUST stop working on the request and MUST NOT send a response for it.',
    severity: 'must',
  },
  {
    id: 'robustness.deadline-respected',
    group: 'robustness',
    title: 'answers after spec.deadline only with -32032',
    requirements: ['R-X2'],
    sentence:
      'The plugin MUST stop working on a request when its `spec.deadline` passes and answer `-32032` (DeadlineExceeded) if it answers at all.',
    severity: 'must',
  },
  {
    id: 'robustness.deadline-by-clock',
    group: 'robustness',
    title:
      'judges spec.deadline by the clock, not by spec.now: a request whose deadline has passed gets -32032 or nothing',
    requirements: ['R-X2'],
    sentence: 'the plugin MUST compare it with its current time, not with `spec.now`',
    severity: 'must',
  },
  {
    id: 'robustness.keeps-working-while-stderr-unread',
    group: 'robustness',
    title: 'keeps answering requests while the host does not read its stderr',
    requirements: ['R-X5'],
    sentence: 'The plugin MUST keep answering requests while the host is slow to read its stderr',
    severity: 'must',
  },
  {
    id: 'robustness.concurrent-requests',
    group: 'robustness',
    title: 'answers concurrent requests (up to limits.maxInFlight), each by its id',
    requirements: ['R-W5'],
    sentence:
      'The plugin SHOULD handle concurrent requests (up to `limits.maxInFlight`) and answer each by its id, in any order.',
    severity: 'should',
  },
  {
    id: 'robustness.progress-monotonic',
    group: 'robustness',
    title: 'progress values for a request never decrease',
    requirements: ['R-X4'],
    sentence: '`progress` values for a request SHOULD NOT decrease.',
    severity: 'should',
  },
];

export const CATALOGUE: readonly CheckInfo[] = [
  ...lifecycle,
  ...transport,
  ...schema,
  ...capabilities,
  ...robustness,
];

const byId = new Map(CATALOGUE.map((c) => [c.id, c]));

export function checkInfo(id: string): CheckInfo {
  const info = byId.get(id);
  if (!info) throw new Error(`unknown check id ${id}`);
  return info;
}

export function isCheckId(id: string): boolean {
  return byId.has(id);
}

/** The sentence a check quotes for a requirement it verifies: its clause for that requirement, or its main sentence. */
export function sentenceFor(check: CheckInfo, requirement: string): string {
  return check.clauses?.[requirement] ?? check.sentence;
}

/** Does a selector (`--only`, an expected-failures entry) name this check: its id, its group, or an id prefix? */
export function selectorMatches(selector: string, check: CheckInfo): boolean {
  return check.id === selector || check.group === selector || check.id.startsWith(`${selector}.`);
}

export function selectorIsKnown(selector: string): boolean {
  return CATALOGUE.some((c) => selectorMatches(selector, c));
}
