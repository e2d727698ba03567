import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROTOCOL_DOC = fileURLToPath(new URL('../../docs/protocol.md', import.meta.url));

export interface ProtocolDoc {
  /** R-id → the requirement's text. */
  requirements: Map<string, string>;
  /** Sentences with MUST/SHOULD that are not inside a numbered requirement. */
  strays: string[];
}

const KEYWORD = /\b(MUST|SHOULD)\b/;
const R_ITEM = /^- \*\*(R-[A-Z]+\d+)\*\* (.*)$/;
/** The RFC 2119 boilerplate names the key words without using them. */
const BOILERPLATE = /are used as in RFC 2119/;

/**
 * Splits docs/protocol.md into blocks (paragraphs, list items, table rows; code fences skipped) and
 * finds every numbered requirement and every MUST/SHOULD sentence outside one.
 */
export function parseProtocolDoc(text: string): ProtocolDoc {
  const requirements = new Map<string, string>();
  const strays: string[] = [];
  const blocks: string[] = [];
  let current: string[] = [];
  let fenced = false;
  const flush = () => {
    if (current.length) blocks.push(current.join(' '));
    current = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      flush();
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    if (!line.trim() || line.startsWith('#')) {
      flush();
      continue;
    }
    if (line.startsWith('- ') || line.startsWith('|')) flush();
    current.push(line.trim());
    if (line.startsWith('|')) flush();
  }
  flush();
  for (const block of blocks) {
    const r = R_ITEM.exec(block);
    if (r) {
      if (requirements.has(r[1]!)) strays.push(`duplicate requirement id ${r[1]}`);
      requirements.set(r[1]!, r[2]!);
      continue;
    }
    for (const sentence of block.split(/(?<=[.;!?])\s+/)) {
      if (KEYWORD.test(sentence) && !BOILERPLATE.test(sentence)) strays.push(sentence);
    }
  }
  return { requirements, strays };
}

export function readProtocolDoc(): ProtocolDoc {
  return parseProtocolDoc(readFileSync(PROTOCOL_DOC, 'utf8'));
}

export const normalise = (s: string) => s.replace(/\s+/g, ' ').trim();
