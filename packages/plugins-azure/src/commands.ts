import { addressSlug } from '@routerd/plugin-sdk';
import {
  type AddressCommandContext,
  cliStepBuilder,
  escapeRegExp,
  type NicCommandContext,
  type ProviderCli,
  type ProviderCommands,
  wholeLine,
} from '@routerd/plugin-sdk/domain';

const TOOL = 'az';
const step = cliStepBuilder({
  tool: TOOL,
  // ARM/NRP throttling, and NRP's "the NIC or subnet is busy with another operation".
  retry: [
    'RetryableError',
    'TooManyRequests',
    '\\b429\\b',
    'AnotherOperationInProgress',
    'ReferencedResourceNotProvisioned',
  ],
  // The NIC (or its group) does not exist: a retry finds it missing again.
  refused: ['\\(ResourceNotFound\\)'],
  // Each NIC write is a long-running whole-NIC PUT; routerd gives one call 60 s.
  timeoutSeconds: 60,
});

/**
 * The ip-config is named after the address: `ip-config create` replaces an ip-config of the same name,
 * so a deterministic name makes a repeated create a no-op and never retargets someone else's entry.
 */
export function ipConfigName(ip: string): string {
  return `routerd-${addressSlug(ip)}`;
}

function subscription(ctx: NicCommandContext): string[] {
  return ctx.identity.subscriptionId ? ['--subscription', ctx.identity.subscriptionId] : [];
}

/** The NIC: `--nic-name` in ip-config commands, `--name` in nic commands. */
function nicArgs(ctx: NicCommandContext, nameFlag: '--nic-name' | '--name'): string[] {
  const { resourceGroup, nicName } = ctx.identity;
  return ['--resource-group', resourceGroup!, nameFlag, nicName!, ...subscription(ctx)];
}
const onNic = (ctx: NicCommandContext) => nicArgs(ctx, '--nic-name');
const theNic = (ctx: NicCommandContext) => nicArgs(ctx, '--name');
const ipConfig = (verb: string, ctx: NicCommandContext) => [
  'network',
  'nic',
  'ip-config',
  verb,
  ...onNic(ctx),
];
const quiet = ['--output', 'tsv', '--only-show-errors'];

/**
 * Prints the address when any ip-config of our NIC has it (whatever its name), nothing otherwise. Both key
 * spellings: az's generated commands print `privateIPAddress`, the SDK-based ones of az 2.45 (Debian 12)
 * `privateIpAddress`; a query naming one key finds nothing in the other's output.
 */
function findOnNic(ctx: AddressCommandContext): string[] {
  const query = `[].[privateIPAddress || privateIpAddress][] | [?@=='${ctx.ip}']`;
  return [...ipConfig('list', ctx), '--query', query, ...quiet];
}

/** How many ip-configs of our NIC carry this plugin's name for the address: 0 or 1 (`name` in every az). */
function countOurIpConfig(ctx: AddressCommandContext): string[] {
  return [...ipConfig('list', ctx), '--query', `length([?name=='${ipConfigName(ctx.ip)}'])`, ...quiet];
}

/**
 * An Azure conflict that names our own NIC, by its full resource id, as the holder: the address is
 * already ours. The step ignores case (ARM resource ids are case-insensitive, and ARM does not always echo
 * the case they were created with); a NIC of the same name in another group or subscription is not ours.
 */
function heldByOurNic(nicRef: string): string[] {
  return [`already allocated to resource ${escapeRegExp(nicRef)}/ipConfigurations/`];
}

/**
 * The NIC's IP forwarding, `true` or `false`. Both key spellings, as in findOnNic; a false or absent
 * value falls through to the literal, so "off" is printed, never nothing (an error prints nothing).
 */
function forwardingSetting(ctx: NicCommandContext): string[] {
  const query = 'enableIPForwarding || enableIpForwarding || `false`';
  return ['network', 'nic', 'show', ...theNic(ctx), '--query', query, ...quiet];
}

function setForwarding(ctx: NicCommandContext, on: boolean): string[] {
  const value = on ? 'true' : 'false';
  return [
    'network',
    'nic',
    'update',
    ...theNic(ctx),
    '--ip-forwarding',
    value,
    '--output',
    'json',
    '--only-show-errors',
  ];
}

export const azureCommands: ProviderCommands = {
  assign: (ctx: AddressCommandContext) => [
    step({
      id: 'check-assigned',
      argv: findOnNic(ctx),
      mutating: false,
      alreadyDone: [wholeLine(ctx.ip)],
    }),
    step({
      id: 'create-ip-config',
      argv: [
        ...ipConfig('create', ctx),
        ...[
          '--name',
          ipConfigName(ctx.ip),
          '--private-ip-address',
          ctx.ip,
          '--output',
          'json',
          '--only-show-errors',
        ],
      ],
      mutating: true,
      // Checked in order: our own NIC named as the holder first (a race with the check), then any holder.
      alreadyDone: heldByOurNic(ctx.target.nicRef),
      heldElsewhere: ['PrivateIPAddressIsAllocated', 'PrivateIPAddressInUse', 'already allocated'],
      ignoreCase: true,
    }),
  ],
  unassign: (ctx: AddressCommandContext) => [
    // Only the ip-config this plugin named is deleted: an address someone put on the NIC under another
    // name, or that another NIC holds, is left alone. The count decides "already released" by our own
    // query's answer, not by the wording of a delete that found nothing.
    step({
      id: 'check-ip-config',
      argv: countOurIpConfig(ctx),
      mutating: false,
      alreadyDone: [wholeLine('0')],
    }),
    step({
      id: 'delete-ip-config',
      argv: [...ipConfig('delete', ctx), '--name', ipConfigName(ctx.ip), '--only-show-errors'],
      mutating: true,
    }),
  ],
  forwarding: (ctx: NicCommandContext) => [
    // The reading before the change is the prior value an undo may restore (the journal keeps it).
    step({
      id: 'check-ip-forwarding',
      argv: forwardingSetting(ctx),
      mutating: false,
      alreadyDone: [wholeLine('true')],
    }),
    step({ id: 'enable-ip-forwarding', argv: setForwarding(ctx, true), mutating: true }),
  ],
  restoreForwarding: (ctx: NicCommandContext) => [
    step({
      id: 'check-ip-forwarding-off',
      argv: forwardingSetting(ctx),
      mutating: false,
      alreadyDone: [wholeLine('false')],
    }),
    step({ id: 'disable-ip-forwarding', argv: setForwarding(ctx, false), mutating: true }),
  ],
  verifyAssigned: (ctx) => ({
    tool: TOOL,
    argv: findOnNic(ctx),
    expect: `prints ${ctx.ip} (the NIC PUT is long-running: poll)`,
  }),
  verifyUnassigned: (ctx) => ({ tool: TOOL, argv: findOnNic(ctx), expect: 'prints nothing' }),
  verifyForwarding: (ctx) => ({ tool: TOOL, argv: forwardingSetting(ctx), expect: 'true' }),
};

export const azureCli: ProviderCli = {
  tool: TOOL,
  // The executor signs in with `az login --identity` first; the plan only names the mode.
  instanceIdentity: 'managed-identity',
  commands: azureCommands,
  targetExtras: (_identity, ip) => (ip ? { ipConfigName: ipConfigName(ip) } : {}),
  forwardingEffect: (nic) =>
    `IP forwarding is enabled on ${nic}, so Azure delivers to it traffic for addresses it does not own`,
};
