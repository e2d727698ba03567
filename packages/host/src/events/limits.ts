/** Read limits, in a module of their own so light clients (routerctl) can use them without loading schemas. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;
