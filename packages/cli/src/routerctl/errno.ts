/** A system error in an operator's words: the words given for its code, else the error's own message. */
export function errnoWords(err: NodeJS.ErrnoException, words: Record<string, string>): string {
  return err.code !== undefined && Object.hasOwn(words, err.code) ? words[err.code]! : err.message;
}
