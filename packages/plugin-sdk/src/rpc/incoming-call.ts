import type { JSONRPCID } from 'json-rpc-2.0';

/** What a request handler knows of its call, and how it can end the call early. */
export interface CallContext {
  id: JSONRPCID;
  /** Aborted when the peer cancels this request (or the connection closes), or by `abort`. */
  readonly signal: AbortSignal;
  /**
   * End the call from the serving side (its deadline passed): `signal` aborts with `reason`, and the
   * answer the handler then gives is still sent.
   */
  abort(reason: unknown): void;
  /** Called once when the call is aborted (at once if it already was); returns the unsubscribe. */
  onAbort(listener: (reason: unknown) => void): () => void;
}

/**
 * One request this side is serving. Its AbortSignal is made only when something asks for it: most calls
 * end normally, and a signal (an EventTarget) costs more than the rest of a small call's bookkeeping.
 */
export class IncomingCall implements CallContext {
  private controller?: AbortController;
  private listeners?: Set<(reason: unknown) => void>;
  aborted = false;
  reason: unknown;

  constructor(readonly id: JSONRPCID) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    for (const listener of this.listeners ?? []) listener(reason);
    this.listeners = undefined;
  }

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.aborted) {
      listener(this.reason);
      return () => {};
    }
    this.listeners ??= new Set();
    this.listeners.add(listener);
    return () => this.listeners?.delete(listener);
  }
}

let neverAborted: AbortSignal | undefined;

/** The context of a notification: nobody can cancel one, and there is no answer to end early. */
export const NOTIFICATION_CALL: CallContext = {
  id: null,
  get signal() {
    neverAborted ??= new AbortController().signal;
    return neverAborted;
  },
  abort: () => {},
  onAbort: () => () => {},
};
