import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../infra/embedded/chromium.js';
import type { useApi } from './api.js';
import { startedForFile } from './file-hooks.js';

/** Debian's chromium (CHROMIUM_PATH overrides, as `npm test` sets it), headless, with the project's flags. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

// The brand logo is the subject pages' only outside request: answered here (no network on test machines), so a
// page's "load" never waits on DNS.
const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="28" fill="#0b4f9c"/><path d="M20 18v28h24" stroke="#fff" stroke-width="6" fill="none"/></svg>';

/** The API listening on a local port and a headless Chromium to open its pages in. */
export interface BrowserApi {
  /** The API's base URL, like http://127.0.0.1:PORT. */
  readonly base: string;
  /** A new page with the brand logo served locally, in `locale` when given; not navigated yet. */
  newPage(locale?: string): Promise<Page>;
}

/** Registers the file's hooks: `api` listens on a free local port and Chromium starts; the browser closes after. */
export function useBrowserApi(api: ReturnType<typeof useApi>): BrowserApi {
  const started = startedForFile(
    'the browser',
    async () => {
      await api.ready;
      await api.app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
      return { base, browser: await launchChromium() };
    },
    ({ browser }) => browser.close(),
  );
  return {
    get base() {
      return started().base;
    },
    async newPage(locale) {
      const page = await started().browser.newPage(locale ? { locale } : {});
      await page.route('https://lumen-loom.example/**', (r) => r.fulfill({ contentType: 'image/svg+xml', body: LOGO }));
      return page;
    },
  };
}
