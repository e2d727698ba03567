import { randomUUID } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';

// EC2's Query API answers in this namespace for API version 2016-11-15 (the version every AWS CLI v2 sends).
export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });
const declaration = { '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' } };

/** A field value of an EC2 response: nested elements, a text, or a list (EC2 wraps each entry in `<item>`). */
export type XmlValue = string | number | boolean | XmlValue[] | { [element: string]: XmlValue | undefined };

/** EC2's lists are `<fooSet><item>…</item>…</fooSet>`; an empty one is an empty element. */
function toBuilderShape(value: XmlValue): unknown {
  if (Array.isArray(value)) return value.length ? { item: value.map(toBuilderShape) } : '';
  if (typeof value !== 'object') return String(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toBuilderShape(v);
  return out;
}

/** `<ActionResponse xmlns=…><requestId>…</requestId>…fields…</ActionResponse>`, as EC2 answers a success. */
export function successDocument(
  action: string,
  fields: Record<string, XmlValue | undefined>,
  requestId = randomUUID(),
) {
  const body = toBuilderShape({ requestId, ...fields }) as object;
  return builder.build({ ...declaration, [`${action}Response`]: { '@_xmlns': EC2_NAMESPACE, ...body } });
}

/** EC2's error document (EC2 API reference, "Error codes": example error response). */
export function errorDocument(code: string, message: string, requestId = randomUUID()) {
  return builder.build({
    ...declaration,
    Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId },
  });
}
