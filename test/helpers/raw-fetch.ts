import { request } from 'undici';

/**
 * A `fetch` look-alike (no redirects followed) that sends exactly the given headers. `fetch` itself adds
 * `Sec-Fetch-Mode: cors` to every request, as the Fetch standard says, which the server rightly reads as "not a
 * navigation": tests that play a browser navigating, or a proxy relaying one, go through this instead.
 */
export async function rawFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers,
    body: init.body,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const body = await res.body.arrayBuffer();
  const empty = res.statusCode === 204 || res.statusCode === 304;
  return new Response(empty ? null : body, { status: res.statusCode, headers });
}
