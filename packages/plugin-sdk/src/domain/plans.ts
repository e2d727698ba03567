import { API_VERSION_NET, EventTypes } from '../protocol/constants.js';
import type { ActionPlan, PlanAction, RemoteAddressClaim } from '../protocol/schemas/resources.js';
import type { PlanTarget, ProviderAdapter, ProviderCli } from './adapter.js';
import type { RouterIdentity } from './identity.js';
import { claimName, idempotencyKey, planName } from './names.js';
import type { AddressChange } from './observations.js';
import type { CaptureScope } from './scope.js';

export interface PlanningContext {
  provider: ProviderAdapter['provider'];
  cli: ProviderCli;
  identity: RouterIdentity;
  scope: CaptureScope;
  auth: ActionPlan['auth'];
  /** When set, teardown plans carry notBefore = last observation + this. */
  teardownGraceMs?: number;
  /**
   * The plan actions the host accepts (PluginContext.planActions); an undo naming another is left out,
   * since the host would refuse the whole result for it. Unset: any.
   */
  planActions?: readonly PlanAction[];
}

/** Drop undefined fields so the JSON carries only what is known (and stays byte-identical run to run). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function planTarget(ctx: PlanningContext, ip?: string): PlanTarget {
  const id = ctx.identity;
  return compact({
    nicRef: id.nicRef,
    address: ip ? `${ip}/32` : undefined,
    region: id.region,
    resourceGroup: id.resourceGroup,
    nicName: id.nicName,
    ...ctx.cli.targetExtras?.(id, ip),
    compartmentId: id.compartmentId,
    subnetRef: id.subnetRef,
    subnetCidr: id.subnetCidr,
  });
}

function basedOn(changes: readonly AddressChange[]): ActionPlan['basedOn'] {
  return changes.flatMap((c) =>
    c.events.map((e) => ({
      eventId: e.id,
      type: e.type,
      sourceNode: e.sourceNode,
      observedAt: e.observedAt,
    })),
  );
}

function scopePreconditions(ctx: PlanningContext, change: AddressChange): ActionPlan['preconditions'] {
  const { ownAddresses: own, subnetCidr, allowedCidrs, reserved } = ctx.scope;
  const allowed = allowedCidrs ? ` and ∈ allowedCidrs {${allowedCidrs.join(', ')}}` : '';
  return [
    { name: 'single-address', expect: `${change.address} is a single address (/32)`, ok: true },
    { name: 'in-scope', expect: `${change.ip} ∈ ${subnetCidr} (the NIC's subnet)${allowed}`, ok: true },
    {
      name: 'not-reserved',
      expect: `${change.ip} ∉ {${reserved.map((r) => r.ip).join(', ')}} (the addresses ${ctx.provider} reserves in ${subnetCidr})`,
      ok: true,
    },
    {
      name: 'not-own-address',
      expect: `${change.ip} ∉ {${own.join(', ')}} (this router's own addresses)`,
      ok: true,
    },
    { name: 'auth', expect: `${ctx.cli.tool} runs as ${ctx.auth.mode}; no credential is in this plan` },
  ];
}

/** The fields every plan shares, in the order they appear in the JSON. */
function skeleton(
  ctx: PlanningContext,
  action: ActionPlan['action'],
  target: PlanTarget,
  riskLevel: ActionPlan['riskLevel'],
) {
  return {
    name: planName(ctx.provider, action, target),
    provider: ctx.provider,
    action,
    mode: 'dry-run' as const,
    idempotencyKey: idempotencyKey(ctx.provider, action, target.nicRef, target.address),
    riskLevel,
    target,
    auth: ctx.auth,
  };
}

export function assignPlan(ctx: PlanningContext, change: AddressChange): ActionPlan {
  const target = planTarget(ctx, change.ip);
  const cmd = { identity: ctx.identity, target, ip: change.ip };
  return {
    // Adding an address to the router's own NIC disturbs nothing already running.
    ...skeleton(ctx, 'assign-secondary-ip', target, 'low'),
    phase: 'provision',
    basedOn: basedOn([change]),
    preconditions: [
      ...scopePreconditions(ctx, change),
      {
        name: 'not-held-elsewhere',
        expect: `no other NIC holds ${change.ip}; if one does, the executor reports it and never seizes`,
      },
    ],
    expectedEffects: [
      `${change.ip} becomes a secondary private IP of ${target.nicRef}`,
      `traffic for ${change.ip} in the cloud network is delivered to this router`,
    ],
    steps: ctx.cli.commands.assign(cmd),
    verify: ctx.cli.commands.verifyAssigned(cmd),
    undo: { action: 'unassign-secondary-ip', steps: ctx.cli.commands.unassign(cmd) },
  };
}

export function unassignPlan(ctx: PlanningContext, change: AddressChange): ActionPlan {
  const target = planTarget(ctx, change.ip);
  const cmd = { identity: ctx.identity, target, ip: change.ip };
  const notBefore =
    ctx.teardownGraceMs === undefined
      ? undefined
      : new Date(Date.parse(change.lastObservedAt) + ctx.teardownGraceMs).toISOString();
  return compact({
    // Removing an address cuts off whatever still talks to it in the cloud.
    ...skeleton(ctx, 'unassign-secondary-ip', target, 'medium'),
    phase: 'teardown' as const,
    basedOn: basedOn([change]),
    preconditions: [
      ...scopePreconditions(ctx, change),
      {
        name: 'held-by-self',
        expect: `${change.ip} is held by ${target.nicRef}; an address another NIC holds is never removed`,
      },
      {
        name: 'still-absent',
        expect: `no ${EventTypes.clientIpv4Observed} for ${change.address} after ${change.lastObservedAt}`,
      },
    ],
    expectedEffects: [
      `${change.ip} is no longer a secondary private IP of ${target.nicRef}`,
      `the cloud network stops delivering traffic for ${change.ip} to this router`,
    ],
    steps: ctx.cli.commands.unassign(cmd),
    verify: ctx.cli.commands.verifyUnassigned(cmd),
    undo: { action: 'assign-secondary-ip' as const, steps: ctx.cli.commands.assign(cmd) },
    notBefore,
  });
}

/** One forwarding plan per NIC, resting on every assignment in the batch that needs it. */
export function forwardingPlan(ctx: PlanningContext, changes: readonly AddressChange[]): ActionPlan {
  const target = planTarget(ctx);
  const cmd = { identity: ctx.identity, target };
  const restore =
    ctx.planActions?.includes('restore-forwarding') === false
      ? undefined
      : ctx.cli.commands.restoreForwarding?.(cmd);
  return {
    // It changes a NIC-wide security setting. Only the executor can record the prior value (the check
    // step's reading), so the undo restores it only when that reading says forwarding was off before.
    ...skeleton(ctx, 'ensure-forwarding-enabled', target, 'medium'),
    phase: 'provision',
    basedOn: basedOn(changes),
    preconditions: [
      {
        name: 'prior-value-recorded',
        expect: `the executor records ${target.nicRef}'s forwarding setting before changing it`,
      },
      { name: 'auth', expect: `${ctx.cli.tool} runs as ${ctx.auth.mode}; no credential is in this plan` },
    ],
    expectedEffects: [ctx.cli.forwardingEffect(target.nicRef)],
    steps: ctx.cli.commands.forwarding(cmd),
    verify: ctx.cli.commands.verifyForwarding(cmd),
    ...(restore && {
      undo: {
        action: 'restore-forwarding' as const,
        steps: restore,
        expectedEffects: [`forwarding on ${target.nicRef} is off again, as the journal recorded it before`],
        restores: 'prior-value' as const,
      },
    }),
  };
}

export function remoteAddressClaim(change: AddressChange, provider: string): RemoteAddressClaim {
  return {
    apiVersion: API_VERSION_NET,
    kind: 'RemoteAddressClaim',
    metadata: { name: claimName(change.address) },
    spec: compact({
      address: change.address,
      domain: change.payload.domain,
      ownerNode: change.ownerNode,
      ownerSide: change.payload.ownerSide,
      mac: change.payload.mac,
      observedAt: change.lastObservedAt,
      provider,
    }),
  };
}

/**
 * In-scope address changes → claims and plans: present → claim + assign (+ one forwarding plan per NIC);
 * absent → an unassign plan marked `teardown` (the host holds it for its grace period and drops it if the
 * address is seen again). Output order follows the address order of `changes`.
 */
export function planAddressChanges(
  ctx: PlanningContext,
  changes: readonly AddressChange[],
  options: { forwarding: boolean },
): { resources: RemoteAddressClaim[]; actionPlans: ActionPlan[] } {
  const present = changes.filter((c) => c.state === 'present');
  const resources = present.map((c) => remoteAddressClaim(c, ctx.provider));
  const actionPlans = changes.map((c) => (c.state === 'present' ? assignPlan(ctx, c) : unassignPlan(ctx, c)));
  if (options.forwarding && present.length > 0) actionPlans.push(forwardingPlan(ctx, present));
  return { resources, actionPlans };
}
