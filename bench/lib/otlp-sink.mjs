// A collector that takes OTLP/HTTP requests and keeps only their count and size: what the daemons
// export to in bench/otlp-overhead.bench.mjs (the collector's own work is not what is measured).
import { createServer } from 'node:http';

export async function startOtlpSink() {
  const seen = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (c) => {
      seen.bytes += c.length;
    });
    req.on('end', () => {
      seen.requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
