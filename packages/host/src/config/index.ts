/** Load and validate the daemon's resources. See docs/resources.md for every field. */
import type { ConfigIssue } from './issues.js';
import { parseConfigFile } from './parse.js';
import { checkPluginConfigs } from './plugin-config.js';
import { checkRules, groupByKind, type ResourceSet } from './rules.js';

export * from './issues.js';
export { parseConfigText } from './parse.js';
export * from './schemas.js';

export interface FederationConfig extends ResourceSet {
  files: string[];
}

export type ConfigLoad = { ok: true; config: FederationConfig } | { ok: false; issues: ConfigIssue[] };

/** Read, parse and validate every file; all problems of all files are reported at once. */
export function loadConfig(files: string[]): ConfigLoad {
  if (files.length === 0) {
    return {
      ok: false,
      issues: [{ file: '(none)', path: '', message: 'no config file given: pass --config FILE' }],
    };
  }
  const parsed = files.map(parseConfigFile);
  const resources = parsed.flatMap((p) => p.resources);
  const issues = parsed.flatMap((p) => p.issues);
  const set = groupByKind(resources);
  issues.push(...checkRules(resources, set, new Set(parsed.flatMap((p) => p.rejected))));
  issues.push(...checkPluginConfigs(set.plugins));
  if (set.groups.length === 0 && issues.length === 0) {
    issues.push({
      file: files.join(', '),
      path: '',
      message:
        'defines no EventGroup: the daemon needs one to know its node name and group (see docs/resources.md)',
    });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: { files, ...set } };
}
