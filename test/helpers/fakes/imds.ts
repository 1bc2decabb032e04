import { type FakeReply, HttpFake, jsonReply, type RecordedRequest } from './http-fake.js';

const IMDS_PATH = '/metadata/identity/oauth2/token';
const IDENTITY_PATH = '/msi/token';
const SYSTEM_ASSIGNED_CLIENT_ID = '00000000-0000-0000-0000-00000000a11d';

/**
 * A fake Azure managed-identity endpoint, speaking both dialects on one server:
 * - IMDS (VMs, AKS): `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]` with
 *   `Metadata: true`; answers `access_token`, `expires_in`, `expires_on`, … (numbers as strings, like IMDS).
 * - App Service identity endpoint: `GET /msi/token?api-version=2019-08-01&resource=…[&client_id=…]` with
 *   `X-IDENTITY-HEADER`; answers `access_token`, `expires_on`, … (no `expires_in`). Use {@link identityEndpoint}
 *   as `IDENTITY_ENDPOINT`.
 * Tokens are `mi-token-<n>`. Errors mimic the real services' `{"error","error_description"}` bodies.
 */
export class FakeImds extends HttpFake {
  /** Value `IDENTITY_HEADER` must carry on the App Service dialect. */
  identityHeader = 'fake-identity-header';
  /** Token lifetime in seconds. */
  expiresInSeconds = 86_399;
  /** Whether times are sent as strings (the real services) or as JSON numbers. */
  timesAs: 'string' | 'number' = 'string';
  /** User-assigned identities that exist; other `client_id`s get "Identity not found". Undefined: all exist. */
  knownClientIds: string[] | undefined;
  /** Clock for `expires_on`, epoch ms. */
  now: () => number = Date.now;
  /** Tokens issued so far. */
  issued = 0;

  /** URL to put in `IDENTITY_ENDPOINT`. */
  get identityEndpoint(): string {
    return `${this.url}${IDENTITY_PATH}`;
  }

  override reset(): void {
    super.reset();
    this.expiresInSeconds = 86_399;
    this.timesAs = 'string';
    this.knownClientIds = undefined;
    this.now = Date.now;
    this.issued = 0;
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return req.path === IMDS_PATH || req.path === IDENTITY_PATH;
  }

  protected handle(req: RecordedRequest): FakeReply {
    if (req.method !== 'GET' || !this.isTokenRequest(req)) return jsonReply(404, { error: 'not_found' });
    const imds = req.path === IMDS_PATH;

    // 1. Authenticate the caller the way each service does.
    if (imds && req.headers.metadata !== 'true') {
      return jsonReply(400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    }
    if (!imds && req.headers['x-identity-header'] !== this.identityHeader) {
      return jsonReply(401, { error: 'unauthorized', error_description: 'X-IDENTITY-HEADER is missing or invalid' });
    }

    // 2. Check the query.
    const expectedVersion = imds ? '2018-02-01' : '2019-08-01';
    if (req.query.get('api-version') !== expectedVersion) {
      return jsonReply(400, { error: 'invalid_request', error_description: 'Unsupported api-version' });
    }
    const resource = req.query.get('resource');
    if (!resource) return jsonReply(400, { error: 'invalid_request', error_description: 'Resource is required' });
    const clientId = req.query.get('client_id');
    if (clientId !== null && this.knownClientIds && !this.knownClientIds.includes(clientId)) {
      return jsonReply(400, { error: 'invalid_request', error_description: 'Identity not found' });
    }

    // 3. Issue a token.
    this.issued += 1;
    const nowSec = Math.floor(this.now() / 1000);
    const time = (n: number): string | number => (this.timesAs === 'string' ? String(n) : n);
    const common = {
      access_token: `mi-token-${this.issued}`,
      expires_on: time(nowSec + this.expiresInSeconds),
      resource,
      token_type: 'Bearer',
      client_id: clientId ?? SYSTEM_ASSIGNED_CLIENT_ID,
    };
    return jsonReply(
      200,
      imds
        ? {
            ...common,
            refresh_token: '',
            expires_in: time(this.expiresInSeconds),
            ext_expires_in: time(this.expiresInSeconds),
            not_before: time(nowSec),
          }
        : common,
    );
  }
}
