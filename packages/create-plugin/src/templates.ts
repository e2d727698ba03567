// The project templates: what each one is for and the capability its handler's output needs. Their
// files live in templates/common and templates/<name>, beside dist/.
import { fileURLToPath } from 'node:url';

export const TEMPLATES = {
  proposer: {
    capability: 'propose.dynamicConfig',
    summary: 'proposes a RemoteAddressClaim for each observed on-prem client address',
  },
  observer: {
    capability: 'observe.events',
    summary: "publishes this machine's load average as an event on each run",
  },
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as TemplateName[];

export const isTemplateName = (name: string): name is TemplateName => Object.hasOwn(TEMPLATES, name);

/** templates/ of this package, whether run from src/ (tests) or dist/ (the bin). */
export const templatesDir = fileURLToPath(new URL('../templates/', import.meta.url));
