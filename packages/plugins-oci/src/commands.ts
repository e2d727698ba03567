import {
  type AddressCommandContext,
  cliStepBuilder,
  type NicCommandContext,
  type ProviderCli,
  type ProviderCommands,
  stepOutputRef,
  wholeLine,
} from '@routerd/plugin-sdk/domain';

const TOOL = 'oci';
const step = cliStepBuilder({
  tool: TOOL,
  // OCI's retryable answers: throttling, a resource in a transitional state, server errors.
  retry: ['TooManyRequests', 'IncorrectState', 'InternalServerError', 'ServiceUnavailable'],
  // No permission, or our VNIC or subnet is gone (OCI does not tell the two apart): a retry changes nothing.
  refused: ['"code": "NotAuthorizedOrNotFound"'],
  timeoutSeconds: 30,
});
/** `private-ip delete` took longer than 30 s in routerd's lab. */
const DELETE_TIMEOUT_SECONDS = 120;
/**
 * What the CLI prints on stderr (exit 0) when --query selects nothing from a non-empty answer. An empty
 * `data` list prints nothing at all (its renderer skips an empty answer before the query), so a look-up
 * that must say "none" asks a list that is never empty: our own VNIC's, which always has its primary IP.
 */
const EMPTY_QUERY = 'Query returned empty result, no output to show.';

/** The instance principal; a configured fallback (`--auth api_key --profile P`) is the executor's swap. */
function common(ctx: NicCommandContext): string[] {
  return ['--auth', 'instance_principal', ...(ctx.identity.region ? ['--region', ctx.identity.region] : [])];
}

/** Private IPs with this address in our subnet, as the OCI CLI's own assign-private-ip looks them up. */
function inSubnet(ctx: AddressCommandContext): string[] {
  return [
    'network',
    'private-ip',
    'list',
    '--subnet-id',
    ctx.identity.subnetRef!,
    '--ip-address',
    ctx.ip,
    ...common(ctx),
  ];
}

/** Our VNIC's private IPs (never an empty list: the primary is always there), narrowed by `query`. */
function onVnic(ctx: AddressCommandContext, query: string): string[] {
  return [
    'network',
    'private-ip',
    'list',
    '--vnic-id',
    ctx.target.nicRef,
    '--all',
    ...common(ctx),
    '--query',
    query,
    '--raw-output',
  ];
}
/** Prints the address when our VNIC has it, the empty-query notice otherwise. */
const addressOnVnic = (ctx: AddressCommandContext) =>
  onVnic(ctx, `data[?"ip-address"=='${ctx.ip}']."ip-address" | [0]`);

/**
 * The VNIC's skip-source-dest-check: `true` when forwarding is on; when it is off the CLI prints the
 * empty-query notice on stderr (its renderer skips a falsy answer), so "off" is read from that.
 */
function skipSourceDestCheck(ctx: NicCommandContext): string[] {
  const vnic = ['--vnic-id', ctx.target.nicRef, ...common(ctx)];
  return ['network', 'vnic', 'get', ...vnic, '--query', 'data."skip-source-dest-check"', '--raw-output'];
}

function setSkipSourceDestCheck(ctx: NicCommandContext, skip: boolean): string[] {
  const vnic = ['--vnic-id', ctx.target.nicRef, ...common(ctx)];
  return ['network', 'vnic', 'update', ...vnic, '--skip-source-dest-check', String(skip)];
}

export const ociCommands: ProviderCommands = {
  assign: (ctx: AddressCommandContext) => [
    // Which VNIC holds the address: ours = done; another = conflict; none (nothing printed: the subnet's
    // list for this address is empty) = go on and create.
    step({
      id: 'lookup-holder',
      argv: [...inSubnet(ctx), '--query', 'data[0]."vnic-id"', '--raw-output'],
      mutating: false,
      alreadyDone: [wholeLine(ctx.target.nicRef)],
      heldElsewhere: ['^ocid1\\.vnic\\.'],
    }),
    step({
      id: 'create-private-ip',
      argv: [
        'network',
        'private-ip',
        'create',
        '--vnic-id',
        ctx.target.nicRef,
        '--ip-address',
        ctx.ip,
        ...common(ctx),
      ],
      mutating: true,
      heldElsewhere: ['already assigned', 'already in use', '"code": "Conflict"'],
    }),
  ],
  unassign: (ctx: AddressCommandContext) => [
    // The private IP's OCID, looked up on our own VNIC: an address another VNIC holds is never deleted,
    // and an address already released gives the empty-query notice (already done), never an empty OCID.
    step({
      id: 'lookup-private-ip',
      argv: onVnic(ctx, `data[?"ip-address"=='${ctx.ip}'].id | [0]`),
      mutating: false,
      alreadyDone: [wholeLine(EMPTY_QUERY)],
    }),
    step({
      id: 'delete-private-ip',
      argv: [
        'network',
        'private-ip',
        'delete',
        '--private-ip-id',
        stepOutputRef('lookup-private-ip'),
        '--force',
        ...common(ctx),
      ],
      mutating: true,
      timeoutSeconds: DELETE_TIMEOUT_SECONDS,
    }),
  ],
  forwarding: (ctx: NicCommandContext) => [
    // The reading before the change is the prior value an undo may restore (the journal keeps it).
    step({
      id: 'check-skip-source-dest-check',
      argv: skipSourceDestCheck(ctx),
      mutating: false,
      alreadyDone: [wholeLine('true')],
    }),
    step({ id: 'skip-source-dest-check', argv: setSkipSourceDestCheck(ctx, true), mutating: true }),
  ],
  restoreForwarding: (ctx: NicCommandContext) => [
    // A false value is "empty" to the CLI's renderer: it prints the empty-query notice, never `false`.
    step({
      id: 'check-source-dest-check',
      argv: skipSourceDestCheck(ctx),
      mutating: false,
      alreadyDone: [wholeLine(EMPTY_QUERY)],
    }),
    step({ id: 'restore-source-dest-check', argv: setSkipSourceDestCheck(ctx, false), mutating: true }),
  ],
  verifyAssigned: (ctx) => ({ tool: TOOL, argv: addressOnVnic(ctx), expect: `prints ${ctx.ip}` }),
  verifyUnassigned: (ctx) => ({ tool: TOOL, argv: addressOnVnic(ctx), expect: `says "${EMPTY_QUERY}"` }),
  verifyForwarding: (ctx) => ({ tool: TOOL, argv: skipSourceDestCheck(ctx), expect: 'true' }),
};

export const ociCli: ProviderCli = {
  tool: TOOL,
  // Every step carries `--auth instance_principal`: a dynamic group and policy grant the instance.
  instanceIdentity: 'instance-principal',
  commands: ociCommands,
  forwardingEffect: (nic) =>
    `skip-source-dest-check is true on ${nic}, so it forwards traffic for addresses it does not own`,
};
