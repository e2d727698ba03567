/**
 * What the sender takes from a peer's 2xx answer to a batch: the events it rejected, and nothing it was
 * not sent. The answer comes from another machine, so it is read as a claim about this batch only: a
 * `rejected` entry naming an event another request carries (or none) is ignored — it would fail an event
 * the peer may be storing at that moment — and an answer of another shape leaves the batch delivered (a
 * 2xx says it was stored) instead of failing the bookkeeping over and over.
 */

/** Far more than the receiver writes (500 ids accepted, duplicate or rejected, ~100 KiB): read no more. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * A peer's text (a rejection's reason, a refusal's issue) as kept in a delivery's last error: the
 * receiver's are a word or a line, a peer's may be anything.
 */
export const MAX_PEER_TEXT_CHARS = 200;

export interface DeliveredAnswer {
  /** Event id → the peer's reason, for events of this batch only. */
  rejected: ReadonlyMap<string, string>;
  /** What of the answer was not the receiver's and was ignored, when something was. */
  unreadable?: string;
}

export function readDeliveredAnswer(answer: unknown, sent: readonly { id: string }[]): DeliveredAnswer {
  const rejected = new Map<string, string>();
  const list =
    answer !== null && typeof answer === 'object' ? (answer as { rejected?: unknown }).rejected : undefined;
  if (list === undefined) return { rejected };
  if (!Array.isArray(list)) return { rejected, unreadable: '`rejected` is not a list' };
  if (list.length === 0) return { rejected }; // the usual answer: no set of the batch's ids is built
  const batch = new Set(sent.map((e) => e.id));
  let foreign = 0;
  let shapeless = 0;
  for (const entry of list) {
    const { id, reason } = (entry ?? {}) as { id?: unknown; reason?: unknown };
    if (typeof id !== 'string' || typeof reason !== 'string') shapeless++;
    else if (!batch.has(id)) foreign++;
    else rejected.set(id, reason.slice(0, MAX_PEER_TEXT_CHARS));
  }
  const problems = [
    ...(foreign ? [`${foreign} rejected id${foreign === 1 ? '' : 's'} not in the batch`] : []),
    ...(shapeless
      ? [`${shapeless} rejected entr${shapeless === 1 ? 'y' : 'ies'} without a string id and reason`]
      : []),
  ];
  return problems.length ? { rejected, unreadable: problems.join('; ') } : { rejected };
}
