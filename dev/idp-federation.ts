/**
 * The dev IdP's emulation of Pocket ID's federated client credentials: a client authenticates at the token endpoint
 * with a JWT from another issuer (a Kubernetes service-account token, an AWS STS web-identity token, tsiam...) instead
 * of a client secret. Kept apart from the provider set-up in idp.ts, which only wires it in front of the token route.
 *
 * FOR THE DEMO AND TESTS ONLY. Never use it in production.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { createRemoteJWKSet, decodeJwt, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';

/**
 * A Pocket ID "federated client credential": a JWT from `issuer` whose `sub` and `aud` match authenticates the
 * client `clientId` at the token endpoint, instead of a client secret.
 */
export interface FederatedIdentity {
  clientId: string;
  /** Must equal the assertion's `iss` exactly (no trailing-slash normalisation, as Pocket ID). */
  issuer: string;
  /** Expected `sub`. @default the client id (Pocket ID: the client's UUID, which is its client id) */
  subject?: string;
  /** A value the assertion's `aud` must contain. @default the IdP's issuer URL (Pocket ID's `APP_URL`) */
  audience?: string;
  /** @default `<issuer without trailing slash>/.well-known/jwks.json` */
  jwksUrl?: string;
}

/** One decision of the federated client authentication, for tests to assert on. */
export interface FederatedAuthEvent {
  /** The form's `client_id` (undefined when absent). */
  clientId?: string;
  /** The assertion's unverified `iss` and `jti`, when it could be read. */
  issuer?: string;
  jti?: string;
  outcome: 'accepted' | 'invalid_client';
  /** Why it was refused (or 'valid assertion'). */
  reason: string;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Pocket ID's clock skew for assertions. */
const ASSERTION_SKEW_SECONDS = 30;

/**
 * Pocket ID's federated client authentication (`backend/internal/oidc/federated_client_auth.go`, v2.4.0+): the client
 * id comes from the form, the federated identity is the one whose issuer equals the assertion's `iss` exactly, and the
 * assertion must verify against that issuer's JWKS with the expected `iss`, `sub`, `aud` (contained) and a required
 * `exp`, 30 s skew.
 */
export class FederatedVerifier {
  private readonly jwks = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly identities: readonly FederatedIdentity[],
    /** Pocket ID's `APP_URL`: the default audience. */
    private readonly appUrl: string,
  ) {}

  isFederatedClient(clientId: string | null): boolean {
    return clientId !== null && this.identities.some((f) => f.clientId === clientId);
  }

  /** @returns the decision; never throws. */
  async verify(clientId: string | null, assertion: string): Promise<Omit<FederatedAuthEvent, 'clientId'>> {
    let issuer: string | undefined;
    let jti: string | undefined;
    try {
      const claims = decodeJwt(assertion);
      issuer = typeof claims.iss === 'string' ? claims.iss : undefined;
      jti = typeof claims.jti === 'string' ? claims.jti : undefined;
    } catch {
      return { outcome: 'invalid_client', reason: 'client_assertion is not a JWT' };
    }
    const refuse = (reason: string) => ({ issuer, jti, outcome: 'invalid_client' as const, reason });
    if (!clientId) return refuse('client_id is required with a client assertion');
    if (!this.isFederatedClient(clientId)) return refuse(`client '${clientId}' has no federated credentials`);
    if (issuer === undefined) return refuse('client_assertion has no iss');
    const identity = this.identities.find((f) => f.clientId === clientId && f.issuer === issuer);
    if (!identity) return refuse(`no federated identity of client '${clientId}' has issuer '${issuer}'`);

    try {
      await jwtVerify(assertion, this.keysFor(identity), {
        issuer: identity.issuer,
        subject: identity.subject ?? identity.clientId,
        audience: identity.audience ?? this.appUrl,
        requiredClaims: ['exp'],
        clockTolerance: ASSERTION_SKEW_SECONDS,
      });
    } catch (err) {
      if (err instanceof joseErrors.JWTClaimValidationFailed) return refuse(`claim '${err.claim}' ${err.reason}`);
      if (err instanceof joseErrors.JWTExpired) return refuse("claim 'exp' check failed: token expired");
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) return refuse('signature verification failed');
      if (err instanceof joseErrors.JWKSNoMatchingKey) return refuse('no key in the issuer JWKS matches');
      return refuse(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    }
    return { issuer, jti, outcome: 'accepted', reason: 'valid assertion' };
  }

  private keysFor(identity: FederatedIdentity): JWTVerifyGetKey {
    const url = identity.jwksUrl ?? `${identity.issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
    let keys = this.jwks.get(url);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(url));
      this.jwks.set(url, keys);
    }
    return keys;
  }
}

/**
 * The token route in front of oidc-provider when federated clients exist. A request with a jwt-bearer assertion is
 * authenticated here: if valid, it is replayed to oidc-provider as `client_secret_post` with the client's internal
 * secret; if not, it is answered `401 invalid_client`. A federated client that tries anything else (a secret, no
 * credential) is refused too. Other clients pass through untouched.
 */
export async function federatedTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  verifier: FederatedVerifier,
  internalSecrets: ReadonlyMap<string, string>,
  events: FederatedAuthEvent[],
  next: (req: IncomingMessage, res: ServerResponse) => unknown,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const form = new URLSearchParams(raw.toString('utf8'));
  const clientId = form.get('client_id');
  const assertion = form.get('client_assertion');
  const withAssertion = form.get('client_assertion_type') === JWT_BEARER && assertion !== null;

  const refuse = (event: FederatedAuthEvent) => {
    events.push(event);
    res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: 'invalid_client', error_description: event.reason }));
  };

  if (!withAssertion) {
    if (verifier.isFederatedClient(clientId))
      return refuse({
        clientId: clientId ?? undefined,
        outcome: 'invalid_client',
        reason: 'this client authenticates only with a federated client assertion',
      });
    void next(replayRequest(req, raw), res);
    return;
  }

  const decision = await verifier.verify(clientId, assertion ?? '');
  const event: FederatedAuthEvent = { clientId: clientId ?? undefined, ...decision };
  const secret = clientId === null ? undefined : internalSecrets.get(clientId);
  if (decision.outcome !== 'accepted' || secret === undefined) return refuse(event);
  events.push(event);
  form.delete('client_assertion');
  form.delete('client_assertion_type');
  form.set('client_secret', secret);
  void next(replayRequest(req, Buffer.from(form.toString(), 'utf8')), res);
}

/**
 * A stand-in for an already-consumed request that streams `body` again (with a matching Content-Length), so that
 * oidc-provider reads it as it would read the original.
 */
function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = new PassThrough();
  stream.end(body);
  const headers = { ...req.headers, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  return Object.assign(stream, {
    method: req.method,
    url: req.url,
    headers,
    rawHeaders: Object.entries(headers).flatMap(([k, v]) => [k, String(v)]),
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
  }) as unknown as IncomingMessage;
}
