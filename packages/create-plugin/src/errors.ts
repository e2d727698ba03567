/** A refusal the user can act on: the message says what was wrong and what to do. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
