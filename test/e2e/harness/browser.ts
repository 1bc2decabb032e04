import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page, type Response } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run); Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots land here (git-ignored; CI keeps the folder as test artefacts). */
export const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/e2e/', import.meta.url));

/**
 * Flags from the machine docs: this machine has no network but loopback, so background networking, component
 * updates, sync and QUIC are off (otherwise Chromium keeps dialling out and logging refusals). `*.example.test`
 * names resolve to 127.0.0.1 so the suite can use distinct host names (cookie domains) on loopback.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP *.example.test 127.0.0.1',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** What a page reported while a test drove it. */
export interface PageReport {
  /** `url`: the page's URL at the time; `source`: the URL the message is about (a script, a resource…). */
  console: { type: string; text: string; url: string; source: string }[];
  cspViolations: { directive: string; blocked: string; url: string }[];
}

/**
 * A fresh, isolated context (own cookie jar) and page with bounded timeouts. Google Fonts (imported by the dev IdP's
 * login page) are blocked: nothing leaves this machine. Console messages and `securitypolicyviolation` events of
 * every document the page shows are collected into the returned report.
 */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; report: PageReport }> {
  // The Traefik suite serves HTTPS with Traefik's self-signed default certificate (the Caddy and nginx ones plain HTTP).
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(15_000);
  const report: PageReport = { console: [], cspViolations: [] };
  await context.route(/fonts\.(googleapis|gstatic)\.com/, (route) => route.abort());
  await context.exposeBinding('__reportCspViolation', ({ frame }, directive: string, blocked: string) => {
    report.cspViolations.push({ directive, blocked, url: frame.url() });
  });
  // Page-side code as text: this project compiles without the DOM library.
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => {
      if (typeof globalThis.__reportCspViolation === 'function') globalThis.__reportCspViolation(e.effectiveDirective, e.blockedURI);
    });`,
  });
  const page = await context.newPage();
  page.on('console', (m) =>
    report.console.push({ type: m.type(), text: m.text(), url: page.url(), source: m.location().url }),
  );
  return { context, page, report };
}

/** Every URL the navigation that produced `response` went through, first request first (HTTP redirects only). */
export function redirectChain(response: Response | null): string[] {
  const urls: string[] = [];
  let request = response?.request() ?? null;
  while (request) {
    urls.unshift(request.url());
    request = request.redirectedFrom();
  }
  return urls;
}

/** Completes the dev IdP's login form (any password works; consent is skipped). */
export async function signInAtIdp(page: Page, idpIssuer: string, user: string): Promise<void> {
  await page.waitForURL((u) => u.href.startsWith(`${idpIssuer}/interaction/`));
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
}

/**
 * Saves a full-page screenshot for review. Chromium now and then refuses a capture right after a navigation
 * ("Unable to capture screenshot", seen once in CI), so it waits for the load and tries up to three times.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  for (let attempt = 1; ; attempt++) {
    try {
      await page.waitForLoadState('load');
      await page.screenshot({ path, fullPage: true });
      return path;
    } catch (error) {
      if (attempt === 3 || !String(error).includes('Unable to capture screenshot')) throw error;
      await page.waitForTimeout(200 * attempt);
    }
  }
}

/** The JSON the echo app put in `<pre id="echo">`. */
export async function echoedOnPage(page: Page): Promise<{ url: string; headers: Record<string, string | string[]> }> {
  const text = await page.locator('#echo').textContent();
  return JSON.parse(text ?? '{}') as { url: string; headers: Record<string, string | string[]> };
}
