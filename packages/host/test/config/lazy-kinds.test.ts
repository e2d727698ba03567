// A config builds the schemas of the kinds it holds, not the others (issue 18: arktype keeps every schema it
// builds, and an idle router holding all six kinds' paid ~1.8 MB for kinds its config never uses).
import { describe, expect, it } from 'vitest';
import { ActionPolicy, EventGroup, Plugin, parseConfigText } from '../../src/config/index.js';

/** arktype's registry of every node built in this process (kept for the life of the process). */
const nodesBuilt = () =>
  Object.keys((globalThis as { $ark?: { nodesByRegisteredId: object } }).$ark?.nodesByRegisteredId ?? {})
    .length;

const GROUP = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec: { nodeName: cloud-1 }
`;

describe('config schemas per kind', () => {
  it('an EventGroup-only config builds neither the Plugin nor the ActionPolicy schema', () => {
    const parsed = parseConfigText(GROUP, 'group.yaml');
    expect(parsed.issues).toEqual([]);
    expect(parsed.resources[0]!.resource).toEqual(EventGroup.assert(parsed.resources[0]!.resource));

    for (const schema of [Plugin, ActionPolicy]) {
      const before = nodesBuilt();
      // The first use builds it, and it refuses as it always has, naming the field.
      expect(String(schema({ apiVersion: 'x' }))).toMatch(/^apiVersion must be /);
      expect(nodesBuilt()).toBeGreaterThan(before);
    }
  });
});
