// The package manager the project is set up for: the one that ran `npm create` / `pnpm create` unless
// --package-manager says otherwise. package-manager-detector reads npm_config_user_agent and spells each
// manager's commands.
import type { ResolvedCommand } from 'package-manager-detector';
import { resolveCommand } from 'package-manager-detector/commands';
import { getUserAgent } from 'package-manager-detector/detect';

export const PACKAGE_MANAGERS = ['npm', 'pnpm'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

export const isPackageManager = (name: string): name is PackageManager =>
  (PACKAGE_MANAGERS as readonly string[]).includes(name);

/** pnpm when pnpm runs us, npm otherwise (yarn and bun users can pass --package-manager). */
export function detectPackageManager(): PackageManager {
  const agent = getUserAgent();
  return agent === 'pnpm' ? 'pnpm' : 'npm';
}

export function installCommand(pm: PackageManager): ResolvedCommand {
  return resolveCommand(pm, 'install', [])!;
}

export function runCommand(pm: PackageManager, script: string): ResolvedCommand {
  return resolveCommand(pm, 'run', [script])!;
}

export const commandLine = (c: ResolvedCommand) => [c.command, ...c.args].join(' ');
