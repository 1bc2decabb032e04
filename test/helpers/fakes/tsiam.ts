import { type FakeReply, HttpFake, jsonReply, type RecordedRequest } from './http-fake.js';

/**
 * A fake tsiam service: `POST /token?resource=<audience>` with `X-Tsiam: 1` answers
 * `{"access_token":"tsiam-token-<n>","expires_in":<expiresIn>}` (n counts issued tokens from 1).
 */
export class FakeTsiam extends HttpFake {
  /** `expires_in` to answer with; tsiam sends a string. */
  expiresIn: string | number = '3600';
  /** Tokens issued so far. */
  issued = 0;

  override reset(): void {
    super.reset();
    this.expiresIn = '3600';
    this.issued = 0;
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return req.path === '/token';
  }

  protected handle(req: RecordedRequest): FakeReply {
    if (req.method !== 'POST' || req.path !== '/token') return jsonReply(404, { error: 'not found' });
    if (req.headers['x-tsiam'] !== '1') return jsonReply(400, { error: 'missing X-Tsiam header' });
    if (!req.query.get('resource')) return jsonReply(400, { error: 'missing resource' });
    this.issued += 1;
    return jsonReply(200, { access_token: `tsiam-token-${this.issued}`, expires_in: this.expiresIn });
  }
}
