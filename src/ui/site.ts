// One request's answer, the same for the server and the static export: a route and its
// query → the page as HTML, or its JSON twin.
import type { Store } from '../api/store.js';
import { layout, notFound, type Page, type PageInput } from './layout.js';
import { datasetPage } from './pages/dataset.js';
import { diffPage } from './pages/diff.js';
import { homePage } from './pages/home.js';
import { modelPage } from './pages/model.js';
import { recordPage } from './pages/record.js';
import { searchPage } from './pages/search.js';
import type { Ctx, Query, Route } from './routes.js';

/** Rows per page on the server; a static export shows this many instead (it cannot page). */
export const PAGE_SIZE = 50;
export const EXPORT_PAGE_SIZE = 1000;

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function pageFor(store: Store, route: Route, query: Query, exporting = false): Page {
  const input: PageInput = { store, route, query, pageSize: exporting ? EXPORT_PAGE_SIZE : PAGE_SIZE, exporting };
  switch (route.page) {
    case 'home': return homePage(input);
    case 'model': return modelPage(input);
    case 'dataset': return datasetPage(input);
    case 'record': return recordPage(input);
    case 'diff': return diffPage(input);
    case 'search': return exporting ? notFound('Search needs the server: run mlmeta ui.') : searchPage(input);
    case 'compare': return diffPage(input);
  }
}

export function renderHtml(ctx: Ctx, page: Page, route: Route, query: Query): string {
  return layout(ctx, page, route, query);
}

/** JSON as served: `<`, `>` and `&` escaped too, so the text is inert if a browser ever sniffs it as HTML. */
export function renderJson(page: Page): string {
  return `${JSON.stringify(page.json, null, 2).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
