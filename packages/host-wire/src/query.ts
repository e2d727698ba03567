/** Pieces shared by the query-string schemas (GET routes take flat `key=value` strings). */
import { type } from 'arktype';
import { MAX_LIST_LIMIT } from './constants.js';
import { lazyType } from './lazy-type.js';

/** `limit=N` on a list route: an integer from 1 to MAX_LIST_LIMIT. */
export const LimitParam = lazyType(() =>
  type('string.integer.parse').pipe(type(`1 <= number.integer <= ${MAX_LIST_LIMIT}`)),
);

/** `flag=true|false`. */
export const BooleanParam = lazyType(() => type("'true' | 'false'").pipe((s) => s === 'true'));
