/** Stamped on every resource a dynamic part carries, so an operator can trace it back to its cause. */
export const Annotations = {
  source: 'routerd.net/dynamic-source',
  group: 'routerd.net/event-group',
  eventIds: 'routerd.net/event-ids',
} as const;

type Annotated = { metadata: { name: string; annotations?: Record<string, string> } };

export function annotate<R extends Annotated>(
  resource: R,
  source: string,
  group: string,
  eventIds: readonly string[],
): R {
  return {
    ...resource,
    metadata: {
      ...resource.metadata,
      annotations: {
        ...resource.metadata.annotations,
        [Annotations.source]: source,
        [Annotations.group]: group,
        [Annotations.eventIds]: [...eventIds].sort().join(','),
      },
    },
  };
}
