import type { ScaffoldBase } from '../build/scaffold-base.js';

declare const __SCAFFOLD_BASE__: ScaffoldBase;

/** What the SDK this package was built with declares: replaced at build and in tests (build/scaffold-base.ts). */
export const scaffoldBase: ScaffoldBase = __SCAFFOLD_BASE__;
