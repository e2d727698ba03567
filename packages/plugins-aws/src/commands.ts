import {
  type AddressCommandContext,
  cliStep,
  escapeRegExp,
  type NicCommandContext,
  type PlanVerify,
  type ProviderCommands,
} from '@routerd/plugin-sdk/domain';

const TOOL = 'aws';
/** routerd's per-call budget for EC2 calls. */
const TIMEOUT_SECONDS = 25;
/** EC2 throttling and transient service errors; the CLI's own retries have already run out when these show. */
const RETRY = [
  'RequestLimitExceeded',
  'Throttling',
  'ServiceUnavailable',
  'InternalError',
  'Could not connect to the endpoint URL',
  'Read timeout on endpoint URL',
];

function eni(ctx: NicCommandContext): string[] {
  return ['--network-interface-id', ctx.target.nicRef, '--region', ctx.identity.region!];
}

/** Every address on the ENI, tab-separated: the check before assigning and the verification after. */
function listAddresses(ctx: NicCommandContext): string[] {
  return [
    'ec2',
    'describe-network-interfaces',
    '--network-interface-ids',
    ctx.target.nicRef,
    '--region',
    ctx.identity.region!,
    '--query',
    'NetworkInterfaces[0].PrivateIpAddresses[].PrivateIpAddress',
    '--output',
    'text',
  ];
}

/** The address as a whole word of the tab-separated list. */
const listed = (ip: string) => `(?:^|\\s)${escapeRegExp(ip)}(?:\\s|$)`;

export const awsCommands: ProviderCommands = {
  assign: (ctx: AddressCommandContext) => [
    // EC2's answer to assigning an address the ENI already has is not documented: look first.
    cliStep({
      id: 'check-assigned',
      tool: TOOL,
      argv: listAddresses(ctx),
      mutating: false,
      alreadyDone: [listed(ctx.ip)],
      retry: RETRY,
      timeoutSeconds: TIMEOUT_SECONDS,
    }),
    cliStep({
      id: 'assign',
      tool: TOOL,
      argv: [
        'ec2',
        'assign-private-ip-addresses',
        ...eni(ctx),
        '--private-ip-addresses',
        ctx.ip,
        '--output',
        'json',
      ],
      mutating: true,
      // Without --allow-reassignment EC2 refuses to move an address another ENI holds: exactly what we want.
      heldElsewhere: ['assigned, but move is not allowed'],
      retry: RETRY,
      timeoutSeconds: TIMEOUT_SECONDS,
    }),
  ],
  unassign: (ctx: AddressCommandContext) => [
    cliStep({
      id: 'unassign',
      tool: TOOL,
      argv: [
        'ec2',
        'unassign-private-ip-addresses',
        ...eni(ctx),
        '--private-ip-addresses',
        ctx.ip,
        '--output',
        'json',
      ],
      mutating: true,
      alreadyDone: ['Some of the specified addresses are not assigned to interface'],
      retry: RETRY,
      timeoutSeconds: TIMEOUT_SECONDS,
    }),
  ],
  forwarding: (ctx: NicCommandContext) => [
    cliStep({
      id: 'disable-source-dest-check',
      tool: TOOL,
      argv: [
        'ec2',
        'modify-network-interface-attribute',
        ...eni(ctx),
        '--no-source-dest-check',
        '--output',
        'json',
      ],
      mutating: true,
      retry: RETRY,
      timeoutSeconds: TIMEOUT_SECONDS,
    }),
  ],
  verifyAssigned: (ctx): PlanVerify => ({
    tool: TOOL,
    argv: listAddresses(ctx),
    expect: `the output lists ${ctx.ip} (EC2 is eventually consistent: poll)`,
  }),
  verifyUnassigned: (ctx): PlanVerify => ({
    tool: TOOL,
    argv: listAddresses(ctx),
    expect: `the output does not list ${ctx.ip}`,
  }),
  verifyForwarding: (ctx): PlanVerify => ({
    tool: TOOL,
    argv: [
      'ec2',
      'describe-network-interfaces',
      '--network-interface-ids',
      ctx.target.nicRef,
      '--region',
      ctx.identity.region!,
      '--query',
      'NetworkInterfaces[0].SourceDestCheck',
      '--output',
      'text',
    ],
    expect: 'False',
  }),
};
