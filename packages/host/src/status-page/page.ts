/**
 * The page around the sections: landmarks (banner, main, contentinfo), a status line that screen readers
 * announce, the style and the little script that swaps <main> for each Server-Sent Event. Without
 * JavaScript the page is the snapshot it was served with.
 */
import { type Html, html } from './html.js';

/** Dark text on light ground (contrast ≥ 7:1); a peer that is down is dark red on pale red, with words. */
export const STYLE = `
:root { color: #111; background: #fff; font: 15px/1.4 system-ui, sans-serif; }
header, main, footer { margin: 0 1rem; }
h1 { font-size: 1.4rem; margin: .6rem 0 .2rem; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #888; padding: .2rem .4rem; text-align: left; vertical-align: top; }
thead th { background: #e8e8e8; }
tr.peer-down, tr.plugin-trouble { background: #fde2e2; color: #6b0000; }
tr.peer-down > :first-child, tr.step-failed > :first-child { border-left: 6px solid #a00000; }
tr.step-failed { background: #fde2e2; color: #6b0000; }
.stopped { background: #fde2e2; color: #6b0000; padding: .4rem; border-left: 6px solid #a00000; }
tr.peer-up .state { color: #0b5d1e; }
#live { font-weight: 600; }
#live.paused { color: #6b0000; }
.empty { color: #333; font-style: italic; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
a { color: #0645ad; }
`;

/** Listens on /events; each message replaces <main> and the header's summary line. */
export const SCRIPT = `
(() => {
  const live = document.getElementById('live');
  const main = document.getElementById('content');
  const summary = document.getElementById('summary');
  const source = new EventSource('events');
  source.addEventListener('snapshot', (e) => {
    const data = JSON.parse(e.data);
    main.innerHTML = data.main;
    summary.innerHTML = data.summary;
    live.textContent = 'Live: last change at ' + new Date().toLocaleTimeString();
    live.className = '';
  });
  const paused = () => {
    live.textContent = 'Live updates paused: the page cannot reach the daemon (retrying)';
    live.className = 'paused';
  };
  source.addEventListener('trouble', paused);
  source.addEventListener('error', paused);
})();
`;

/** A whole page; `live` adds the script and the live status line (the timeline view is a snapshot). */
export function pageOf(
  summary: Html,
  main: Html,
  at: string,
  opts: { title?: string; live?: boolean } = {},
): string {
  const live = opts.live ?? true;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title ?? 'routerd status'}</title>
<link rel="stylesheet" href="page.css">
${live ? html`<script src="page.js" defer></script>` : ''}
</head>
<body>
<header>
<h1>routerd status</h1>
<p id="summary">${summary}</p>
<p id="live" role="status">Snapshot as of <time datetime="${at}">${at}</time> (${live ? 'live updates need JavaScript: ' : ''}reload for a fresh one)</p>
</header>
<main id="content">
${main}
</main>
<footer>
<p>Read-only: this page changes nothing. The same figures come from <code>routerctl</code> and <code>/metrics</code>.</p>
</footer>
</body>
</html>
`.text;
}
