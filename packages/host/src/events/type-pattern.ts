/** `routerd.client.ipv4.observed` matches itself, `routerd.client.*`, and `*`. Shared by push filters and subscriptions. */
export function matchesTypePattern(type: string, pattern: string): boolean {
  return pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
}

/** Empty lists mean "everything"; otherwise the type must match one pattern and the subject one prefix. */
export function matchesTypesAndSubjects(
  event: { type: string; subject?: string },
  types: readonly string[],
  subjectPrefixes: readonly string[],
): boolean {
  if (types.length > 0 && !types.some((p) => matchesTypePattern(event.type, p))) return false;
  if (subjectPrefixes.length > 0 && !subjectPrefixes.some((p) => (event.subject ?? '').startsWith(p)))
    return false;
  return true;
}
