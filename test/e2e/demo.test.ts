import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot, signInAtIdp } from './harness/browser.js';
import { type Managed, portIsFree, startProcess } from './harness/processes.js';

/** The demo's fixed ports (bin/server.ts): auth server, demo app, dev IdP. */
const DEMO_PORTS = [4181, 4182, 4183];
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

  it('is clickable end to end: sign in as alice, greeted as Alice Example, Log out leads to the logged-out page', async (ctx) => {
    // Prepare: the demo uses fixed ports; if something else holds one, say so rather than fail on someone's server.
    const busy: number[] = [];
    for (const port of DEMO_PORTS) if (!(await portIsFree(port))) busy.push(port);
    ctx.skip(busy.length > 0, `demo ports ${busy.join(', ')} are in use on 127.0.0.1 (is \`npm start\` running?)`);
    // An empty working directory: no tfa-config.yaml can be found, so the server starts the demo.
    cwd = mkdtempSync(join(tmpdir(), 'tfa-e2e-demo-'));
    const { TFA_CONFIG: _ignored, ...inherited } = process.env;
    const env = { ...inherited, HOME: cwd };
    demo = await startProcess('demo server', process.execPath, ['--import', TSX, SERVER], {
      cwd,
      env,
      readyPort: 4182,
      timeoutMs: 30_000,
    });
    browser = await launchChromium();
    const { context, page } = await openPage(browser);

    // Act
    await page.goto('http://localhost:4182/');
    await signInAtIdp(page, 'http://127.0.0.1:4183', 'alice');
    await page.waitForURL('http://localhost:4182/');
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    const body = await page.locator('body').textContent();
    await screenshot(page, 'demo-app');
    await page.getByRole('button', { name: 'Log out' }).click();
    const banner = await page.getByRole('status').textContent();
    await context.close();

    // Assess
    expect(demo.output()).toContain('DEMO MODE');
    expect(heading).toBe('Hello, Alice Example!');
    expect(body).toContain('X-Forwarded-User: alice');
    expect(banner).toContain('Signed out.');
  });
});
