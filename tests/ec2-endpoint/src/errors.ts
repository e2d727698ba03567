import texts from './ec2-errors.json' with { type: 'json' };

/** One of EC2's error answers, by the case it covers (the README cites where each text comes from). */
export type Ec2ErrorCase = keyof typeof texts;

/** An EC2 error: the handler throws it, the server answers EC2's `<Response><Errors>…` document. */
export class Ec2Error extends Error {
  readonly code: string;
  readonly status: number;

  constructor(
    readonly errorCase: Ec2ErrorCase,
    vars: Record<string, string> = {},
  ) {
    const { code, status, message } = texts[errorCase];
    super(message.replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`));
    this.code = code;
    this.status = status;
  }
}

export { texts as ec2ErrorTexts };
