/** Escape text for use inside an outcome pattern (a regular expression). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A pattern that matches a whole output line equal to `text` (outcome patterns are matched multi-line). */
export function wholeLine(text: string): string {
  return `^${escapeRegExp(text)}$`;
}
