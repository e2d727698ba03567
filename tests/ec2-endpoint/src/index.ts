import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handlers, Params } from './actions.js';
import { Ec2Error } from './errors.js';
import { EC2_ACTIONS, type Ec2Action, type Ec2EndpointOptions, Vpc } from './state.js';
import { errorDocument, successDocument } from './xml.js';

export { Ec2Error, type Ec2ErrorCase, ec2ErrorTexts } from './errors.js';
export { EC2_ACTIONS, type Ec2Action, type Ec2EndpointOptions, type Eni, Vpc } from './state.js';

/** One request as the endpoint saw it, and how it answered. */
export interface Ec2Call {
  action: string;
  params: Record<string, string>;
  status: number;
  /** The EC2 error code, when it answered one. */
  code?: string;
  /** From the SigV4 credential scope: which key and region the caller signed with. */
  accessKeyId?: string;
  region?: string;
}

export interface Ec2Endpoint {
  /** `http://127.0.0.1:PORT`, for `--endpoint-url` or `AWS_ENDPOINT_URL`. */
  url: string;
  /** The live ENIs (a test may read or change them between calls) and the denied actions. */
  state: Vpc;
  /** Every request so far, in order. */
  calls: Ec2Call[];
  /** The next `n` requests (of `action`, when given) get RequestLimitExceeded, as a throttled account does. */
  throttleNext(n: number, action?: Ec2Action): void;
  /**
   * The next request of `action` is carried out, but its answer is held until release(): a caller that
   * dies meanwhile (a daemon killed mid-step) never hears that the cloud did it. `arrived` resolves when
   * the request has been carried out.
   */
  holdNext(action: Ec2Action): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

const API_VERSION = '2016-11-15';
// SigV4: `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/ec2/aws4_request, SignedHeaders=…, Signature=…`.
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/ec2\/aws4_request,/;
// Far above any request the CLI makes for these actions; a bigger body is refused, not buffered.
const MAX_BODY = 64 * 1024;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY)
      throw new Ec2Error('notModelled', { name: `a request body over ${MAX_BODY} bytes` });
  }
  const form = new URLSearchParams(new URL(req.url ?? '/', 'http://localhost').search);
  for (const [k, v] of new URLSearchParams(body)) form.append(k, v);
  return form;
}

/** Answers one request; every problem is EC2's error document, never a crash. */
function answer(form: URLSearchParams, authorization: string, vpc: Vpc, throttled: (a: string) => boolean) {
  const p = new Params(form);
  // Authentication comes first, as at EC2: the signature is not verified, only its presence and scope.
  if (!SIGV4.test(authorization)) throw new Ec2Error('authFailure');
  const action = p.required('Action');
  if (throttled(action)) throw new Ec2Error('throttled');
  if (!(EC2_ACTIONS as readonly string[]).includes(action)) throw new Ec2Error('invalidAction', { action });
  const handler = handlers[action as Ec2Action];
  if (p.required('Version') !== API_VERSION)
    throw new Ec2Error('notModelled', { name: `Version=${p.get('Version')}` });
  const unknown = p
    .names()
    .filter((n) => n !== 'Action' && n !== 'Version' && !handler.fields.some((f) => f.test(n)));
  if (unknown.length) throw new Ec2Error('notModelled', { name: unknown.join(', ') });
  if (vpc.denied.has(action as Ec2Action)) throw new Ec2Error('unauthorized');
  return successDocument(action, handler.run(p, vpc));
}

/** Starts a local EC2 Query API endpoint on 127.0.0.1 (a free port) over the ENIs in `options`. */
export async function startEc2Endpoint(options: Ec2EndpointOptions): Promise<Ec2Endpoint> {
  const state = new Vpc(options);
  const calls: Ec2Call[] = [];
  const throttles: Array<{ left: number; action?: string }> = [];
  const throttled = (action: string) => {
    const rule = throttles.find((t) => t.left > 0 && (t.action === undefined || t.action === action));
    if (rule) rule.left--;
    return rule !== undefined;
  };

  const holds: Array<{ action: string; arrived: () => void; released: Promise<void> }> = [];

  const server = createServer(async (req, res) => {
    const authorization = req.headers.authorization ?? '';
    const [, accessKeyId, region] = SIGV4.exec(authorization) ?? [];
    let form = new URLSearchParams();
    let status = 200;
    let code: string | undefined;
    let xml: string;
    try {
      form = await readForm(req);
      xml = answer(form, authorization, state, throttled);
    } catch (err) {
      const e = err instanceof Ec2Error ? err : undefined;
      // Anything else is a fixture bug: EC2's InternalError, and the server goes on.
      [status, code] = e ? [e.status, e.code] : [500, 'InternalError'];
      xml = errorDocument(code, e ? e.message : 'An internal error has occurred');
    }
    const { Action = '', ...params } = Object.fromEntries(form);
    const hold = holds.findIndex((h) => h.action === Action);
    if (hold >= 0) {
      const [h] = holds.splice(hold, 1);
      h!.arrived();
      await h!.released;
    }
    calls.push({ action: Action, params, status, code, accessKeyId, region });
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' }).end(xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    calls,
    throttleNext(n, action) {
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`throttleNext: n must be a positive integer (was ${n})`);
      throttles.push({ left: n, action });
    },
    holdNext(action) {
      let arrived!: () => void;
      let release!: () => void;
      const arrival = new Promise<void>((r) => {
        arrived = r;
      });
      holds.push({
        action,
        arrived,
        released: new Promise<void>((r) => {
          release = r;
        }),
      });
      return { arrived: arrival, release };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
