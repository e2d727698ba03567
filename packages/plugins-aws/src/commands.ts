import {
  cliStepBuilder,
  escapeRegExp,
  type NicCommandContext,
  type ProviderCli,
  type ProviderCommands,
  wholeLine,
} from '@routerd/plugin-sdk/domain';

const step = cliStepBuilder({
  tool: 'aws',
  // EC2 throttling and transient service errors; the CLI's own retries have already run out when these show.
  retry: [
    'RequestLimitExceeded',
    'Throttling',
    'ServiceUnavailable',
    'InternalError',
    'Could not connect to the endpoint URL',
    'Read timeout on endpoint URL',
  ],
  // What EC2 documents as the caller's fault: a retry gives the same answer. Matched by the error code in
  // the CLI's "An error occurred (CODE) when calling …" line, after the step's own alreadyDone and
  // heldElsewhere texts (an unassign of an address the ENI lacks and a held address are
  // InvalidParameterValue too). InvalidParameterValue also covers a reserved or out-of-subnet address and
  // the primary address of another ENI, which the plugin never plans but another writer may cause.
  refused: [
    '\\(UnauthorizedOperation\\)',
    '\\(InvalidNetworkInterfaceID\\.NotFound\\)',
    '\\(PrivateIpAddressLimitExceeded\\)',
    '\\(InvalidParameterValue\\)',
  ],
  // routerd's per-call budget for EC2 calls.
  timeoutSeconds: 25,
});

const eni = (ctx: NicCommandContext) => [
  '--network-interface-id',
  ctx.target.nicRef,
  '--region',
  ctx.identity.region!,
];

/** One attribute of the ENI, as plain text: `describe-network-interfaces … --query Q --output text`. */
function describeEni(ctx: NicCommandContext, query: string): string[] {
  const id = ['--network-interface-ids', ctx.target.nicRef, '--region', ctx.identity.region!];
  return ['ec2', 'describe-network-interfaces', ...id, '--query', query, '--output', 'text'];
}

/** Every address on the ENI, tab-separated: the check before assigning and the verification after. */
const listAddresses = (ctx: NicCommandContext) =>
  describeEni(ctx, 'NetworkInterfaces[0].PrivateIpAddresses[].PrivateIpAddress');

/**
 * How many of the ENI's addresses are this one: `0` or `1`. The check before releasing, read as "already
 * released" by our own query's answer; an error prints nothing on stdout, so it never reads as `0`.
 */
const countAddress = (ctx: NicCommandContext & { ip: string }) =>
  describeEni(ctx, `length(NetworkInterfaces[0].PrivateIpAddresses[?PrivateIpAddress=='${ctx.ip}'])`);

/** The ENI's SourceDestCheck, `True` or `False`: forwarding is on when it is `False`. */
const sourceDestCheck = (ctx: NicCommandContext) => describeEni(ctx, 'NetworkInterfaces[0].SourceDestCheck');

/** The source/dest check set on (`--source-dest-check`) or off, the call being idempotent either way. */
const setSourceDestCheck = (ctx: NicCommandContext, on: boolean) => [
  'ec2',
  'modify-network-interface-attribute',
  ...eni(ctx),
  on ? '--source-dest-check' : '--no-source-dest-check',
  '--output',
  'json',
];

/** The address as a whole word of the tab-separated list. */
const listed = (ip: string) => `(?:^|\\s)${escapeRegExp(ip)}(?:\\s|$)`;

function addressArgs(verb: 'assign' | 'unassign', ctx: NicCommandContext & { ip: string }): string[] {
  return [
    'ec2',
    `${verb}-private-ip-addresses`,
    ...eni(ctx),
    '--private-ip-addresses',
    ctx.ip,
    '--output',
    'json',
  ];
}

export const awsCommands: ProviderCommands = {
  assign: (ctx) => [
    // EC2's answer to assigning an address the ENI already has is not documented: look first.
    step({ id: 'check-assigned', argv: listAddresses(ctx), mutating: false, alreadyDone: [listed(ctx.ip)] }),
    // Without --allow-reassignment EC2 refuses to move an address another ENI holds: exactly what we want.
    // No --dry-run permission preflight: assign- and unassign-private-ip-addresses have no DryRun parameter
    // (the CLI answers "Unknown options: --dry-run"); a missing permission shows as UnauthorizedOperation.
    step({
      id: 'assign',
      argv: addressArgs('assign', ctx),
      mutating: true,
      heldElsewhere: ['assigned, but move is not allowed'],
    }),
  ],
  unassign: (ctx) => [
    step({ id: 'check-unassigned', argv: countAddress(ctx), mutating: false, alreadyDone: [wholeLine('0')] }),
    step({
      id: 'unassign',
      argv: addressArgs('unassign', ctx),
      mutating: true,
      alreadyDone: ['Some of the specified addresses are not assigned to interface'],
    }),
  ],
  forwarding: (ctx) => [
    // The reading before the change is the prior value an undo may restore (the journal keeps it).
    step({
      id: 'check-forwarding',
      argv: sourceDestCheck(ctx),
      mutating: false,
      alreadyDone: [wholeLine('False')],
    }),
    step({ id: 'disable-source-dest-check', argv: setSourceDestCheck(ctx, false), mutating: true }),
  ],
  restoreForwarding: (ctx) => [
    step({
      id: 'check-source-dest-check',
      argv: sourceDestCheck(ctx),
      mutating: false,
      alreadyDone: [wholeLine('True')],
    }),
    step({ id: 'enable-source-dest-check', argv: setSourceDestCheck(ctx, true), mutating: true }),
  ],
  verifyAssigned: (ctx) => ({
    tool: 'aws',
    argv: listAddresses(ctx),
    expect: `the output lists ${ctx.ip} (EC2 is eventually consistent: poll)`,
  }),
  verifyUnassigned: (ctx) => ({ tool: 'aws', argv: countAddress(ctx), expect: '0' }),
  verifyForwarding: (ctx) => ({
    tool: 'aws',
    argv: sourceDestCheck(ctx),
    expect: 'False',
  }),
};

export const awsCli: ProviderCli = {
  tool: 'aws',
  // The CLI finds the instance profile through IMDSv2 itself; the plan only names it.
  instanceIdentity: 'instance-profile',
  commands: awsCommands,
  forwardingEffect: (nic) =>
    `the source/destination check is off on ${nic}, so it forwards traffic for addresses it does not own`,
};
