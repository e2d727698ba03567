// Written out rather than imported from tsup, so that the types resolve without tsup installed; tsup
// accepts these objects as its Options.

/** One tsup build of an executable plugin package. */
export interface PluginBuild {
  entry: Record<string, string>;
  format: ['esm'];
  target: 'node20';
  dts?: { compilerOptions: { baseUrl: string } };
  sourcemap?: boolean;
  noExternal?: RegExp[];
  platform?: 'node';
  banner?: { js: string };
  onSuccess?: () => Promise<void>;
}

/** The library entry (src/index.ts, which writes the config JSON Schema once built) and the bundled executable (src/main.ts). */
declare const builds: PluginBuild[];
export default builds;
