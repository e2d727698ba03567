/**
 * Whether a value nests at most `maxDepth` levels of objects and arrays (a scalar is 0, `{}` 1,
 * `{"a": [1]}` 2). The walk goes no deeper than `maxDepth`, so a value of any depth, or a cycle, costs no
 * more stack than that, and it stops at the first branch too deep.
 */
export function jsonDepthWithin(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (maxDepth < 1) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!jsonDepthWithin(item, maxDepth - 1)) return false;
    return true;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && !jsonDepthWithin((value as Record<string, unknown>)[key], maxDepth - 1))
      return false;
  }
  return true;
}
