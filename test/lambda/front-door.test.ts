/**
 * The local AWS front door itself (dev/aws-front-door.ts): the payload 2.0 event it builds from a real HTTPS request
 * and how it writes a result back, as aws-frontdoor.md §2 documents Function URLs and the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FrontDoor, type FrontDoorResult, startFrontDoor } from '../../dev/aws-front-door.js';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { doorRequest } from './helpers/front-door-client.js';

const FN_HOST = 'abcdefghij.lambda-url.eu-west-1.on.aws';
const API_HOST = 'r3pmxmplak.execute-api.eu-west-1.amazonaws.com';

let pki: TestPki;
let functionUrl: FrontDoor;
let httpApi: FrontDoor;
let reply: FrontDoorResult = { statusCode: 200, body: 'ok' };

beforeAll(async () => {
  pki = createTestPki('front door test CA', ['*.example.com']);
  const tls = { cert: pki.serverCertPEM, key: pki.serverKeyPEM };
  const handler = async () => reply;
  functionUrl = await startFrontDoor({
    kind: 'functionUrl',
    awsHost: FN_HOST,
    route: () => ({ handler, name: 'fn', routeKey: '$default' }),
    tls,
  });
  httpApi = await startFrontDoor({
    kind: 'httpApi',
    awsHost: API_HOST,
    customDomains: ['auth.example.com'],
    route: (method, path) => ({ handler, name: 'fn', routeKey: `${method} ${path}` }),
    tls,
  });
});

afterAll(async () => {
  await functionUrl?.close();
  await httpApi?.close();
});

describe('the events the local front doors build', () => {
  it('lower-cases names, comma-joins duplicates, moves cookies to cookies[] and keeps the raw path and query', async () => {
    // Act
    const res = await doorRequest(functionUrl, pki.caPEM, {
      path: '/portals/main?if=Group%28%22admins%22%29&a=1&a=2',
      headers: { 'X-Custom': ['one', 'two'], Cookie: 'a=1; tf_sess_main=x' },
    });

    // Assess
    const e = res.event;
    expect(e?.headers['x-custom']).toBe('one,two');
    expect(e?.cookies).toEqual(['a=1', 'tf_sess_main=x']);
    expect(e?.headers.cookie).toBeUndefined();
    expect(e?.rawPath).toBe('/portals/main');
    expect(e?.rawQueryString).toBe('if=Group%28%22admins%22%29&a=1&a=2');
    expect(e?.queryStringParameters).toEqual({ if: 'Group("admins")', a: '1,2' });
    expect(e?.requestContext.http.sourceIp).toBe('127.0.0.1');
  });

  it('gives the function its AWS host, appends X-Forwarded-For, overwrites -Proto/-Port and passes -Host through', async () => {
    // Act
    const res = await doorRequest(functionUrl, pki.caPEM, {
      path: '/',
      headers: {
        'X-Forwarded-For': '203.0.113.7',
        'X-Forwarded-Proto': 'http',
        'X-Forwarded-Port': '8443',
        'X-Forwarded-Host': 'app.example.com',
      },
    });

    // Assess
    const e = res.event;
    expect(e?.headers.host).toBe(FN_HOST);
    expect(e?.requestContext.domainName).toBe(FN_HOST);
    expect(e?.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(e?.headers['x-forwarded-proto']).toBe('https');
    expect(e?.headers['x-forwarded-port']).toBe('443');
    expect(e?.headers['x-forwarded-host']).toBe('app.example.com');
  });

  it('hands the function non-ASCII header values as the UTF-8 text the client sent', async () => {
    // Act: raw UTF-8 bytes on the wire (Node writes a string's chars as latin1 bytes).
    const res = await doorRequest(functionUrl, pki.caPEM, {
      path: '/',
      headers: { 'X-Forwarded-Uri': Buffer.from('/a?x=ä', 'utf8').toString('latin1') },
    });

    // Assess
    expect(res.event?.headers['x-forwarded-uri']).toBe('/a?x=ä');
  });

  it('rejects a Host that is not the Function URL’s own with 403, without calling the function', async () => {
    // Act
    const res = await doorRequest(functionUrl, pki.caPEM, { path: '/', host: 'auth.example.com' });

    // Assess
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ Message: 'Forbidden' });
    expect(res.invocation).toBeUndefined();
  });

  it('lets the HTTP API answer its custom domain with that Host, and refuses a foreign one', async () => {
    // Act
    const custom = await doorRequest(httpApi, pki.caPEM, { path: '/x', host: 'auth.example.com' });
    const foreign = await doorRequest(httpApi, pki.caPEM, { path: '/x', host: 'other.example.com' });

    // Assess
    expect(custom.event?.headers.host).toBe('auth.example.com');
    expect(custom.event?.routeKey).toBe('GET /x');
    expect(foreign.status).toBe(403);
  });

  it('refuses more than 10,240 bytes of request line and headers on the HTTP API, not on the Function URL', async () => {
    // Prepare
    const big = { Cookie: `jar=${'x'.repeat(10_300)}` };

    // Act
    const api = await doorRequest(httpApi, pki.caPEM, { path: '/', headers: big });
    const fn = await doorRequest(functionUrl, pki.caPEM, { path: '/', headers: big });

    // Assess
    expect(api.status).toBe(413);
    expect(api.invocation).toBeUndefined();
    expect(fn.status).toBe(200);
  });
});

describe('the results the local front doors write', () => {
  it('writes each cookies[] entry as its own Set-Cookie line and header values as UTF-8 bytes', async () => {
    // Prepare
    reply = {
      statusCode: 303,
      headers: { location: 'https://x/', 'x-name': 'Zoë' },
      cookies: ['a=1', 'b=2'],
      body: '',
    };

    // Act
    const res = await doorRequest(functionUrl, pki.caPEM, { path: '/' });

    // Assess
    expect(res.status).toBe(303);
    expect(res.setCookies).toEqual(['a=1', 'b=2']);
    expect(Buffer.from(res.headers['x-name'] ?? '', 'latin1').toString('utf8')).toBe('Zoë');
  });

  it('decodes a base64 result body', async () => {
    // Prepare
    reply = { statusCode: 200, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true };

    // Act
    const res = await doorRequest(functionUrl, pki.caPEM, { path: '/' });

    // Assess
    expect([...res.raw]).toEqual([0, 1, 2, 255]);
  });
});
