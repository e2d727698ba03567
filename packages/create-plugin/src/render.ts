// Fills a template file. Templates are valid TypeScript, JSON, YAML or Markdown with {{key}} placeholders
// inside string literals where the syntax needs it, so the linter and formatter read them as they are. A
// quoted placeholder keeps its quotes; a list value replaces its quoted form with its items, each
// quoted alike: capabilities: ['{{capabilities}}'] → ['a', 'b'].
export type TemplateValues = Record<string, string | readonly string[]>;

export function render(text: string, values: TemplateValues): string {
  return text.replace(
    /(['"])\{\{(\w+)\}\}\1|\{\{(\w+)\}\}/g,
    (_whole, quote?: string, quotedKey?: string, key?: string) => {
      const name = (quotedKey ?? key)!;
      const value = values[name];
      if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
      const q = quote ?? '';
      if (typeof value === 'string') return `${q}${value}${q}`;
      if (!quote)
        throw new Error(`template placeholder {{${name}}} is a list: write it quoted, '{{${name}}}'`);
      return value.map((v) => `${q}${v}${q}`).join(', ');
    },
  );
}
