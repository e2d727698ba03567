// Every module specifier a package's `exports` map offers to `import` (JSON and other data files aside),
// read from the package as installed: wildcard subpaths are expanded against the files it ships.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

const isCode = (target) => /\.(m?js|d\.m?ts)$/.test(target);

/** The code target of one exports entry: the `types`, `import` or `default` path, or the string itself. */
function codeTarget(value) {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') return value.types ?? value.import ?? value.default;
  return undefined;
}

/**
 * @param {string} packageDir an installed package (node_modules/<name>)
 * @returns {string[]} `<name>` and `<name>/<subpath>` for each code entry point
 */
export function entryPoints(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  return entryPointsOf(manifest, (dir) => readdirSync(join(packageDir, dir)));
}

/**
 * @param {Record<string, any>} manifest the package's package.json
 * @param {(dir: string) => string[]} list the file names in one of its directories (`./build`)
 */
export function entryPointsOf(manifest, list) {
  const specifiers = [];
  for (const [key, value] of Object.entries(manifest.exports ?? {})) {
    const target = codeTarget(value);
    if (!target || !isCode(target)) continue;
    const subpath = (path) => (path === '.' ? manifest.name : `${manifest.name}/${path.slice(2)}`);
    if (!key.includes('*')) {
      specifiers.push(subpath(key));
      continue;
    }
    const [prefix, suffix] = target.split('*');
    const dir = posix.dirname(prefix);
    for (const file of list(dir)) {
      const path = `${dir}/${file}`;
      if (!path.startsWith(prefix) || !path.endsWith(suffix)) continue;
      specifiers.push(subpath(key.replace('*', path.slice(prefix.length, path.length - suffix.length))));
    }
  }
  return specifiers;
}
