/**
 * What every test browser does the same way, whatever it talks to (the real server over HTTP, or the Lambda bundles
 * through events): follow redirects, insisting on absolute Locations from our server, and fill in the dev IdP's
 * login form.
 */
export interface FlowHop {
  url: string;
  status: number;
  body: string;
}

export interface FlowBrowser<H extends FlowHop> {
  request(url: string, init: { form: string }): Promise<H>;
  request(url: string): Promise<H>;
  location(hop: H): string | undefined;
  /** URLs under the IdP may redirect relatively (its own business); ours must not. */
  isIdp(url: string): boolean;
}

/** Follows redirects up to `max` hops; a relative Location from our server fails the test (Traefik would break). */
export async function followRedirects<H extends FlowHop>(b: FlowBrowser<H>, url: string, max = 20): Promise<H[]> {
  const hops: H[] = [];
  let next: string | undefined = url;
  while (next && hops.length < max) {
    const hop = await b.request(next);
    hops.push(hop);
    const loc = b.location(hop);
    if (hop.status >= 300 && hop.status < 400 && loc) {
      if (!/^https?:\/\//.test(loc) && !b.isIdp(hop.url)) throw new Error(`relative Location from ${hop.url}: ${loc}`);
      next = new URL(loc, next).href;
    } else next = undefined;
  }
  return hops;
}

/** Opens `url` and completes the dev IdP's login form as `user`; returns every hop, ending wherever the flow stopped. */
export async function loginThroughIdp<H extends FlowHop>(b: FlowBrowser<H>, url: string, user = 'alice'): Promise<H[]> {
  const hops = await followRedirects(b, url);
  const last = hops.at(-1);
  if (!last || !b.isIdp(last.url) || last.status !== 200) return hops;
  const action = /action="([^"]+)"/.exec(last.body)?.[1];
  if (!action) throw new Error('IdP login form not found');
  const form = await b.request(new URL(action, last.url).href, {
    form: new URLSearchParams({ prompt: 'login', login: user, password: 'any' }).toString(),
  });
  hops.push(form);
  const loc = b.location(form);
  if (loc) hops.push(...(await followRedirects(b, new URL(loc, form.url).href)));
  return hops;
}
