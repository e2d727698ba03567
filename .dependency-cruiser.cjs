// The layer rules of ../shared/ARCHITECTURE.md, checked by dependency-cruiser on every `pnpm lint` (and so in
// CI). Who may import whom between packages, and inside @routerd/host which folder may import which
// (scripts/host-folders.cjs, mirrored by the folder map in packages/host/README.md). tests/architecture proves that a
// folder cycle, a new folder and each forbidden package edge fail this check.

/** A package as a dependency: resolved through node_modules (symlinks kept), or unresolved (not built yet). */
const pkg = (name) => `(^|/)node_modules/${name}/|^${name}(/|$)`;
const ROUTERD = '@routerd';
const HOST_SRC = 'packages/host/src';

const { HOST_FOLDERS } = require('./scripts/host-folders.cjs');

const folderRules = Object.entries(HOST_FOLDERS)
  .filter(([, allowed]) => !allowed.includes('*'))
  .map(([folder, allowed]) => ({
    name: `host-${folder}-imports`,
    comment: `${HOST_SRC}/${folder}/ may import ${allowed.length ? allowed.map((f) => `${f}/`).join(', ') : 'no other folder'} (besides the root helpers): the folder map in packages/host/README.md`,
    severity: 'error',
    from: { path: `^${HOST_SRC}/${folder}/` },
    to: {
      path: `^${HOST_SRC}/[^/]+/`,
      pathNot: [`^${HOST_SRC}/${folder}/`, ...allowed.map((f) => `^${HOST_SRC}/${f}/`)],
    },
  }));

module.exports = {
  forbidden: [
    // --- packages -------------------------------------------------------------------------------
    {
      name: 'sdk-imports-no-routerd-package',
      comment: 'the SDK is the bottom layer: it imports json-rpc-2.0 and arktype, no package of ours',
      severity: 'error',
      from: { path: '^packages/plugin-sdk/src/' },
      to: { path: pkg(`${ROUTERD}/[^/]+`) },
    },
    {
      name: 'plugins-and-conformance-import-only-the-sdk',
      comment:
        'a plugin (and the conformance suite) imports the SDK only: never the host, the CLI or another plugin',
      severity: 'error',
      from: { path: '^(packages/plugins-[^/]+|conformance)/src/' },
      to: { path: pkg(`${ROUTERD}/(?!plugin-sdk(/|$))[^/]+`) },
    },
    {
      name: 'wire-imports-only-sdk-and-arktype',
      comment: '@routerd/host-wire holds schemas: it imports only the SDK, arktype and Node built-ins',
      severity: 'error',
      from: { path: '^packages/host-wire/src/' },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: ['^packages/host-wire/src/', pkg(`${ROUTERD}/plugin-sdk`), pkg('arktype')],
      },
    },
    {
      name: 'cli-never-imports-the-host',
      comment:
        'routerctl is a thin client of the control API: it takes the wire types from @routerd/host-wire, never @routerd/host (installing it must not build SQLite)',
      severity: 'error',
      from: { path: '^packages/cli/src/' },
      to: { path: [pkg(`${ROUTERD}/host`), pkg('better-sqlite3'), pkg('express')] },
    },
    {
      name: 'host-imports-no-plugin-or-cli',
      comment:
        'the host talks to plugins over the protocol only: it never imports a plugin package, the CLI or the conformance suite',
      severity: 'error',
      from: { path: `^${HOST_SRC}/` },
      to: { path: pkg(`${ROUTERD}/(plugin-(?!sdk(/|$))[^/]+|cli|conformance|create-plugin)`) },
    },
    // --- inside @routerd/host -------------------------------------------------------------------
    {
      name: 'host-no-folder-cycles',
      comment: 'two folders of packages/host/src never import each other, directly or round about',
      severity: 'error',
      scope: 'folder',
      from: { path: `^${HOST_SRC}/` },
      to: { circular: true },
    },
    {
      name: 'host-store-knows-no-http',
      comment: 'store/ knows SQL and the records it maps rows into, nothing of HTTP',
      severity: 'error',
      from: { path: `^${HOST_SRC}/store/` },
      to: { path: [pkg('express'), pkg('@types/express'), '^(node:)?https?$', `^${HOST_SRC}/control/`] },
    },
    {
      name: 'host-root-helpers-import-no-folder',
      comment:
        'the root helpers of packages/host/src (clock, validation, metrics, …) are used by every folder, so they import none',
      severity: 'error',
      from: { path: `^${HOST_SRC}/[^/]+\\.ts$`, pathNot: `^${HOST_SRC}/index\\.ts$` },
      to: { path: `^${HOST_SRC}/[^/]+/` },
    },
    {
      name: 'host-folder-in-the-map',
      comment:
        'every folder of packages/host/src is in the folder map (scripts/host-folders.cjs, and packages/host/README.md): add a new one to both, with what it may import',
      severity: 'error',
      from: { path: `^${HOST_SRC}/(?!(${Object.keys(HOST_FOLDERS).join('|')})/)[^/]+/` },
      to: {},
    },
    ...folderRules,
  ],
  options: {
    // Type-only imports count: a cycle of types is still two folders that must change together.
    tsPreCompilationDeps: true,
    // Our packages are matched by name (node_modules/@routerd/x), built or not: lint runs before the build.
    preserveSymlinks: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(packages/[^/]+|conformance|tests/[^/]+)/(dist|test)/' },
    moduleSystems: ['es6'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default'],
    },
  },
};
