/** Read a daemon's /metrics over its control socket, and single series out of the text. */
import { request } from 'node:http';

export function scrape(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

/** The value of one series (name and exact label set as Prometheus prints them), or undefined. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
