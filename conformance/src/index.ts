// @routerd/conformance: the plugin conformance suite as a library. `routerd-plugin test` is a thin
// front end over runConformance(); plugin authors can call it from their own tests.
export {
  CATALOGUE,
  type CheckInfo,
  GROUPS,
  type Group,
  type Severity,
  TESTED_CAPABILITIES,
} from './catalogue.js';
export { DEFAULT_TIMEOUTS, type Timeouts } from './checks/types.js';
export { type ConformanceOptions, runConformance, UsageError } from './engine.js';
export { type FoundExecutable, findExecutable } from './executable.js';
export { type ExpectedFailure, parseExpectedFailures, readExpectedFailures } from './expected-failures.js';
export {
  FORMATS,
  type Format,
  render,
  renderJson,
  renderJunit,
  renderPretty,
  renderTap,
} from './render/index.js';
export { type LiveOutput, liveOutput } from './render/live.js';
export { CheckResult, CheckStatus, Report } from './report.js';
export { schemaFiles } from './schemas.js';
export { BUILTIN_VECTORS_DIR, containsSubset, loadVectors, Vector, VectorExpectation } from './vectors.js';
export { VERSION } from './version.js';
