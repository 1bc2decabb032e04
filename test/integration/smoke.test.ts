import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicConfig, type Stack, startStack } from '../helpers/stack.js';

describe('smoke', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer) });
  });
  afterAll(() => stack?.close());

  it('logs in', async () => {
    const b = stack.browser();
    const hops = await b.login('https://app.example.com/dashboard?ref=email');
    for (const h of hops) console.log(h.status, h.url, h.headers.get('location'), h.body.slice(0, 200));
    expect(hops.at(-1)?.app).toBeDefined();
  });
});
