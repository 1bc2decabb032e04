import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot, signInAtIdp } from './harness/browser.js';
import { freePort, type Managed, startProcess } from './harness/processes.js';

const SERVER = fileURLToPath(new URL('../../bin/server.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('npm start without a config file (the demo)', () => {
  let demo: Managed | undefined;
  let browser: Browser | undefined;
  let cwd: string | undefined;

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('is clickable end to end: sign in as alice, greeted as Alice Example, Log out leads to the logged-out page', async () => {
    // Prepare: free ports from the flags, so a running `npm start` on the default ports does not matter.
    const [port, appPort, idpPort] = [await freePort(), await freePort(), await freePort()];
    // An empty working directory: no tfa-config.yaml can be found, so the server starts the demo.
    cwd = mkdtempSync(join(tmpdir(), 'tfa-e2e-demo-'));
    const { TFA_CONFIG: _ignored, ...inherited } = process.env;
    const env = { ...inherited, HOME: cwd };
    // --demo: the test runs without a terminal, where a missing config is otherwise an error.
    const flags = ['--demo', '--port', `${port}`, '--demo-app-port', `${appPort}`, '--demo-idp-port', `${idpPort}`];
    demo = await startProcess('demo server', process.execPath, ['--import', TSX, SERVER, ...flags], {
      cwd,
      env,
      readyPort: appPort,
      timeoutMs: 30_000,
    });
    browser = await launchChromium();
    const { context, page } = await openPage(browser);

    // Act
    await page.goto(`http://localhost:${appPort}/`);
    await signInAtIdp(page, `http://127.0.0.1:${idpPort}`, 'alice');
    await page.waitForURL(`http://localhost:${appPort}/`);
    const viewport = await page.locator('meta[name="viewport"]').getAttribute('content');
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    const body = await page.locator('body').textContent();
    await screenshot(page, 'demo-app');
    // The printed "Your profile after login" URL: the styled signed-in page for a browser.
    const profileUrl = /Your profile after login: +(\S+)/.exec(demo.output())?.[1] ?? 'missing';
    await page.goto(profileUrl);
    const profile = await page.locator('main .message').textContent();
    await screenshot(page, 'demo-profile');
    await page.goto(`http://localhost:${appPort}/`);
    await page.getByRole('link', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    const banner = await page.getByRole('status').textContent();
    await context.close();

    // Assess
    expect(demo.output()).toContain('DEMO MODE');
    expect(demo.output()).toContain(`Open the protected demo app:  http://localhost:${appPort}/`);
    // Browsers ask both origins for /favicon.ico on page views (headless Chromium does not, so ask as they do): an
    // empty, cacheable answer, not a 404 with a WARN line each time.
    for (const origin of [`http://localhost:${port}`, `http://localhost:${appPort}`]) {
      const icon = await fetch(`${origin}/favicon.ico`, { headers: { Accept: 'image/avif,image/webp,*/*' } });
      expect(icon.status, origin).toBe(204);
    }
    expect(
      demo
        .output()
        .split('\n')
        .filter((l) => /^\S+ WARN /.test(l)),
    ).toEqual([]);
    expect(viewport).toBe('width=device-width, initial-scale=1');
    expect(heading).toBe('Hello, Alice Example!');
    expect(body).toContain('X-Forwarded-User: alice');
    expect(profileUrl).toBe(`http://localhost:${port}/portals/demo/profile`);
    expect(profile).toMatch(/^You're authenticated with provider .+ as alice\.$/);
    expect(banner).toContain('Signed out.');
  });
});
