/** A snapshot as the whole page (first load, JavaScript off) and as the data of one live update. */
import { pageOf } from './page.js';
import { mainContent, summary } from './sections.js';
import type { StatusSnapshot } from './snapshot.js';

export const renderPage = (s: StatusSnapshot): string => pageOf(summary(s), mainContent(s), s.at);

export const pageData = (s: StatusSnapshot) => ({ summary: summary(s).text, main: mainContent(s).text });
