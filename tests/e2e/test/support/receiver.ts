/** Signed requests to a real daemon's receiver over loopback, as a peer (or an attacker with its key) sends them. */
import { type SignKey, sign } from '@routerd/host/keys';

/** Shared secrets (hmac) or a node's Ed25519 private keys. */
export type Keys = readonly SignKey[];

let n = 0;

/** A structured CloudEvent from `onprem` for group `edge`, unique per call; `over` replaces attributes. */
export function cloudEvent(over: Record<string, unknown> = {}) {
  n++;
  return {
    specversion: '1.0',
    id: `r-${n}`,
    source: 'urn:routerd:node:onprem',
    type: 'routerd.client.ipv4.observed',
    time: new Date().toISOString(),
    expirytime: new Date(Date.now() + 600_000).toISOString(),
    datacontenttype: 'application/json',
    data: { address: `10.88.60.${n % 250}/32`, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    routerdgroup: 'edge',
    ...over,
  };
}

export interface ReceiverAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined when the body is not JSON (an Express HTML page, say). */
  body:
    | {
        error?: { code: string; message: string; issues?: { path: string }[] };
        accepted?: string[];
        duplicates?: string[];
        rejected?: { id: string; reason: string }[];
        replay?: boolean;
      }
    | undefined;
  text: string;
}

export async function answerOf(res: Response): Promise<ReceiverAnswer> {
  const text = await res.text();
  let body: ReceiverAnswer['body'];
  try {
    body = JSON.parse(text) as ReceiverAnswer['body'];
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export interface SignedPost {
  keys: Keys;
  /** The bytes signed; sent as they are unless `wire` gives other bytes (a compressed body). */
  body: string | Buffer;
  wire?: Buffer;
  node?: string;
  ts?: number;
  id?: string;
  type?: string;
  method?: string;
  headers?: Record<string, string>;
}

/** POST (or `method`) a body signed with `keys` as node `onprem`, to `url`. */
export async function postSigned(url: string, o: SignedPost): Promise<ReceiverAnswer> {
  const buf = Buffer.from(o.body);
  const headers = {
    ...sign(o.keys, o.id ?? `w-${Math.random().toString(36).slice(2)}`, o.ts ?? Date.now() / 1000, buf),
    'routerd-node': o.node ?? 'onprem',
    'content-type': o.type ?? 'application/cloudevents-batch+json',
    ...o.headers,
  };
  return answerOf(await fetch(url, { method: o.method ?? 'POST', headers, body: o.wire ?? buf }));
}
