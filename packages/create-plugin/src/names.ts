// The names a project derives from its package name, each fitting where it is used.

/** `@acme/load-observer` → `load-observer`: the bin's name. */
export const unscopedName = (packageName: string) => packageName.replace(/^@[^/]+\//, '');

/**
 * A lowercase name of letters, digits and dashes, at most 63 characters, starting and ending with a
 * letter or digit: what a Plugin resource's metadata.name accepts (npm names may also hold . _ ~).
 */
export function resourceName(packageName: string): string {
  const name = unscopedName(packageName)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return name || 'plugin';
}

/** The first segment of the observer's event type: like resourceName, but starting with a letter. */
export function eventTypePrefix(packageName: string): string {
  const name = resourceName(packageName);
  return /^[a-z]/.test(name) ? name : `p-${name}`;
}
