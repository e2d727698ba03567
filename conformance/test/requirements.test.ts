import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../src/catalogue.js';
import { CHECK_IMPLS } from '../src/checks/index.js';
import { requiredPointers } from '../src/checks/transport.js';
import { normalise, PROTOCOL_DOC, parseProtocolDoc, readProtocolDoc } from './protocol-doc.js';

type Mapping = Record<string, string[] | { excluded: string }>;
const mapping = JSON.parse(
  readFileSync(new URL('../requirements.json', import.meta.url), 'utf8'),
) as Mapping & {
  $comment?: string;
};
const { $comment: _, ...requirementsJson } = mapping;
const doc = readProtocolDoc();
const checkIds = new Set(CATALOGUE.map((c) => c.id));

describe('docs/protocol.md ↔ requirements.json ↔ check catalogue', () => {
  it('every MUST/SHOULD sentence of the protocol doc is inside a numbered requirement', () => {
    expect(doc.requirements.size).toBeGreaterThan(40);
    expect(doc.strays).toEqual([]);
  });

  it('maps every requirement of the doc, and nothing else, to checks or to a reason', () => {
    expect(Object.keys(requirementsJson).sort()).toEqual([...doc.requirements.keys()].sort());
    for (const [id, target] of Object.entries(requirementsJson)) {
      if (Array.isArray(target)) expect(target.length, id).toBeGreaterThan(0);
      else expect(target.excluded.length, id).toBeGreaterThan(20);
    }
  });

  it('maps only to checks that exist, each of which names that requirement', () => {
    for (const [rid, target] of Object.entries(requirementsJson)) {
      if (!Array.isArray(target)) continue;
      for (const id of target) {
        expect(checkIds.has(id), `${rid} → ${id}`).toBe(true);
        expect(CATALOGUE.find((c) => c.id === id)!.requirements, `${id} should list ${rid}`).toContain(rid);
      }
    }
  });

  it('every check quotes its sentence from one of its requirements, with the matching severity', () => {
    for (const check of CATALOGUE) {
      expect(check.requirements.length, check.id).toBeGreaterThan(0);
      const texts = check.requirements.map((r) => doc.requirements.get(r));
      expect(texts.every(Boolean), `${check.id}: unknown requirement in ${check.requirements}`).toBe(true);
      expect(
        texts.some((t) => normalise(t!).includes(normalise(check.sentence))),
        `${check.id}: "${check.sentence}" is not in ${check.requirements}`,
      ).toBe(true);
      expect(check.sentence).toMatch(check.severity === 'must' ? /\bMUST\b/ : /\bSHOULD\b/);
      // A clause is what a failure quotes when it breaks that one requirement (R-W1 for an invalid result).
      for (const [r, clause] of Object.entries(check.clauses ?? {})) {
        expect(check.requirements, `${check.id}: clause for ${r}`).toContain(r);
        expect(normalise(doc.requirements.get(r) ?? ''), `${check.id}: clause for ${r}`).toContain(
          normalise(clause),
        );
        expect(clause).toMatch(check.severity === 'must' ? /\bMUST\b/ : /\bSHOULD\b/);
      }
      for (const r of check.requirements) {
        const target = requirementsJson[r];
        expect(
          Array.isArray(target) && target.includes(check.id),
          `requirements.json ${r} should list ${check.id}`,
        ).toBe(true);
      }
    }
  });

  it('every catalogue entry has exactly one implementation', () => {
    expect([...CHECK_IMPLS.keys()].sort()).toEqual([...checkIds].sort());
    expect(checkIds.size).toBe(CATALOGUE.length);
  });

  it('the doc parser finds a stray MUST and a duplicate id (so the test above can fail)', () => {
    const parsed = parseProtocolDoc(
      [
        'The key words MUST and SHOULD are used as in RFC 2119.',
        '',
        '- **R-A1** A plugin MUST do one thing.',
        '- **R-A1** A plugin SHOULD do it twice.',
        '',
        'Hosts MUST also do this. Nothing here.',
        '',
        '```',
        'code MUST be ignored',
        '```',
        '| a | b MUST c |',
      ].join('\n'),
    );
    expect([...parsed.requirements.keys()]).toEqual(['R-A1']);
    expect(parsed.strays).toEqual([
      'duplicate requirement id R-A1',
      'Hosts MUST also do this.',
      '| a | b MUST c |',
    ]);
  });
});

describe('docs/protocol.md answers what a PluginRequest must carry', () => {
  it('its "Required fields" paragraph names every field plugin-request.schema.json requires', () => {
    const text = readFileSync(PROTOCOL_DOC, 'utf8');
    const paragraph = text.slice(text.indexOf('**Required fields.**')).split('\n\n')[0]!;
    const schema = JSON.parse(
      readFileSync(
        createRequire(import.meta.url).resolve('@routerd/plugin-sdk/schema/plugin-request.schema.json'),
        'utf8',
      ),
    );
    const pointers = requiredPointers(schema);
    const leaves = pointers.filter((p) => !pointers.some((q) => q.startsWith(`${p}/`)));
    expect(leaves.length).toBeGreaterThan(5);
    for (const leaf of leaves) expect(paragraph).toContain(`\`${leaf.slice(1).replaceAll('/', '.')}\``);
  });
});

describe('conformance/README.md', () => {
  it('has a self-test row for every fixture, and the Python example passing (scripts/self-test-table.mjs)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const fixtures = readdirSync(new URL('../fixtures/', import.meta.url)).filter((f) => f.endsWith('.mjs'));
    for (const f of fixtures)
      expect(readme, f).toMatch(new RegExp(`^\\| \`${f.replaceAll('.', '\\.')}\` \\| `, 'm'));
    expect(readme).toMatch(/^\| no-SDK Python example \| .* \| nothing \|$/m);
  });

  it('lists every check of the catalogue with its requirements and severity', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const c of CATALOGUE) {
      const row = `| \`${c.id}\` | ${c.requirements.join(', ')} | ${c.severity === 'must' ? 'MUST' : 'SHOULD'} |`;
      expect(readme, `README row for ${c.id}`).toContain(row);
    }
  });
});
