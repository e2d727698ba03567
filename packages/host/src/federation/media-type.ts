/**
 * A `content-type` header parsed as RFC 9110 §8.3.1 says: `type/subtype *(OWS ";" OWS name=value)`,
 * type, subtype and parameter names compared case-insensitively, values as tokens or quoted strings.
 * The receiver decides batch or single on the parsed type, never on the raw header text.
 */
export interface MediaType {
  /** `type/subtype`, lowercased. */
  essence: string;
  /** Parameter names lowercased; values as sent (quoted strings unquoted). */
  params: Record<string, string>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\\\x00-\\x08\\x0a-\\x1f\\x7f]|\\\\[\\x09\\x20-\\x7e\\x80-\\xff])*"';
const ESSENCE = new RegExp(`^(${TOKEN})/(${TOKEN})`);
const PARAM = new RegExp(`^[ \\t]*;[ \\t]*(?:(${TOKEN})=(${TOKEN}|${QUOTED}))?`);

/** The parsed media type, or undefined when the header is missing or not a valid media type. */
export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  const head = ESSENCE.exec(text);
  if (!head) return undefined;
  const params: Record<string, string> = {};
  let rest = text.slice(head[0].length);
  while (rest.length > 0) {
    const p = PARAM.exec(rest);
    // Anything that is not `; name=value` (a second media type after a comma, stray text) is invalid.
    if (!p || p[0].length === 0) return undefined;
    if (p[1] !== undefined && p[2] !== undefined) {
      const value = p[2].startsWith('"') ? p[2].slice(1, -1).replace(/\\(.)/g, '$1') : p[2];
      params[p[1].toLowerCase()] = value;
    }
    rest = rest.slice(p[0].length);
  }
  return { essence: `${head[1]}/${head[2]}`.toLowerCase(), params };
}

/** Whether the media type's text is UTF-8: no charset parameter, or `utf-8` in any case. */
export function isUtf8(media: MediaType): boolean {
  const charset = media.params.charset;
  return charset === undefined || charset.toLowerCase() === 'utf-8';
}
