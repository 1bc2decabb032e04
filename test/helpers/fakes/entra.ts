import { type FakeReply, HttpFake, jsonReply, type RecordedRequest } from './http-fake.js';

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;

/**
 * A fake Microsoft Entra ID token endpoint for workload identity: `POST /{tenant}/oauth2/v2.0/token` with a
 * client-credentials form whose `client_assertion` is the federated (projected) token. Use {@link url} as
 * `AZURE_AUTHORITY_HOST`. Tokens are `entra-token-<n>`; errors mimic Entra's `{"error","error_description"}` bodies.
 */
export class FakeEntra extends HttpFake {
  /** Tenant the fake serves. */
  tenantId = '11111111-2222-3333-4444-555555555555';
  /** Application (client) ID it accepts. */
  clientId = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  /** Federated tokens it accepts as `client_assertion`; undefined accepts any non-empty one. */
  acceptedAssertions: string[] | undefined;
  /** `expires_in` of issued tokens, in seconds (Entra sends a number). */
  expiresIn = 3599;
  /** Tokens issued so far. */
  issued = 0;

  override reset(): void {
    super.reset();
    this.acceptedAssertions = undefined;
    this.expiresIn = 3599;
    this.issued = 0;
  }

  /** Form fields of a recorded request. */
  static form(req: RecordedRequest): URLSearchParams {
    return new URLSearchParams(req.body);
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return TOKEN_PATH.test(req.path);
  }

  protected handle(req: RecordedRequest): FakeReply {
    const tenant = TOKEN_PATH.exec(req.path)?.[1];
    if (req.method !== 'POST' || tenant === undefined) return jsonReply(404, { error: 'not_found' });
    if (tenant !== this.tenantId) {
      return jsonReply(400, {
        error: 'invalid_tenant',
        error_description: `AADSTS90002: Tenant '${tenant}' not found.`,
      });
    }
    const form = FakeEntra.form(req);
    if (form.get('grant_type') !== 'client_credentials') {
      return jsonReply(400, { error: 'unsupported_grant_type', error_description: 'AADSTS70003: unsupported grant' });
    }
    if (form.get('client_id') !== this.clientId) {
      return jsonReply(400, { error: 'unauthorized_client', error_description: 'AADSTS700016: Application not found' });
    }
    if (form.get('scope') !== 'api://AzureADTokenExchange/.default') {
      return jsonReply(400, { error: 'invalid_scope', error_description: 'AADSTS70011: invalid scope' });
    }
    const assertion = form.get('client_assertion');
    const accepted = this.acceptedAssertions ? this.acceptedAssertions.includes(assertion ?? '') : Boolean(assertion);
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !accepted) {
      return jsonReply(401, {
        error: 'invalid_client',
        error_description: 'AADSTS700213: No matching federated identity record found for presented assertion.',
      });
    }
    this.issued += 1;
    return jsonReply(200, {
      token_type: 'Bearer',
      expires_in: this.expiresIn,
      ext_expires_in: this.expiresIn,
      access_token: `entra-token-${this.issued}`,
    });
  }
}
