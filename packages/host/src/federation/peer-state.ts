/**
 * A peer's delivery state, as its worker sees it (no dependencies: the control API's wire types, the
 * store and the metrics all name these).
 * healthy: sending as rows come due. backing-off: the peer does not answer (or answers 5xx): one probe at
 * a time, the peer's backoff between probes. auth-refused: the peer answers 401 to our requests (a wrong
 * key, or clocks further apart than the replay window): probed the same way, but it needs the operator.
 */
export const PeerStateNames = ['healthy', 'backing-off', 'auth-refused'] as const;
export type PeerStateName = (typeof PeerStateNames)[number];
