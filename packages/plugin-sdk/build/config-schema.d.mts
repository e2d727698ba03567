/** Writes the package's config JSON Schema (package.json "routerd.configSchema"); the file written, if any. */
export function writeConfigSchema(dir?: string): Promise<string | undefined>;
