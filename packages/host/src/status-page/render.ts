/** A snapshot as the whole page (first load, JavaScript off) and as the data of one live update. */
import type { StatusResponse, TraceResponse } from '@routerd/host-wire';
import { pageOf } from './page.js';
import { mainContent, summary, timeline } from './sections.js';
import type { StatusSnapshot } from './snapshot.js';

export const renderPage = (s: StatusSnapshot): string => pageOf(summary(s.status), mainContent(s), s.at);

/** One client's timeline: a page of its own, a snapshot without live updates. */
export const renderTimeline = (status: StatusResponse, at: string, t: TraceResponse, asked: string): string =>
  pageOf(summary(status), timeline(t, asked), at, { title: `routerd: timeline of ${asked}`, live: false });

export const pageData = (s: StatusSnapshot) => ({
  summary: summary(s.status).text,
  main: mainContent(s).text,
});
