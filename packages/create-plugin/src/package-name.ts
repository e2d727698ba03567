import validatePackageName from 'validate-npm-package-name';

/** Why npm would refuse `name` for a new package; empty when it is fine. */
export function packageNameProblems(name: string): string[] {
  const verdict = validatePackageName(name);
  if (verdict.validForNewPackages) return [];
  return [...(verdict.errors ?? []), ...(verdict.warnings ?? [])];
}

/** A valid name close to `name` (`My Plugin` → `my-plugin`), if there is one. */
export function suggestPackageName(name: string): string | undefined {
  const scope = /^@([^/]+)\//.exec(name)?.[1];
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9._~-]+/g, '-')
      .replace(/^[._-]+|[-]+$/g, '');
  const base = slug(scope ? name.slice(scope.length + 2) : name);
  const suggestion = scope ? `@${slug(scope)}/${base}` : base;
  return suggestion && packageNameProblems(suggestion).length === 0 ? suggestion : undefined;
}
