import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type FakeReply, HttpFake, jsonReply, type RecordedRequest } from './http-fake.js';

/** A fetch that sends requests for public origins to loopback fakes, and records what it was asked for. */
export interface RoutedNetwork {
  fetch: typeof fetch;
  /** Every URL requested, as the code under test wrote it (the public origin, not the fake's). */
  readonly urls: string[];
}

/**
 * Routes `https://<public origin>/<path>` to `<fake base>/<path>`, the way upstream's tests swap the HTTP client's
 * transport. The code under test keeps its real, fixed endpoint URLs; an origin with no route fails, so nothing
 * reaches the internet.
 */
export function routeNetwork(routes: Record<string, string>): RoutedNetwork {
  const urls: string[] = [];
  const routed = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    urls.push(url.href);
    const base = routes[url.origin];
    if (base === undefined) return Promise.reject(new TypeError(`no route to ${url.origin} in this test`));
    return fetch(`${base}${url.pathname}${url.search}`, init);
  };
  return { fetch: routed, urls };
}

/** What a user approved at the authorization endpoint, redeemed by the code it returned. */
export interface Authorization {
  clientId: string;
  redirectUri: string;
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  /** The authorize URL's path (Entra ID: names the tenant authority). */
  authorizePath: string;
  /** Claims describing the user who approved. */
  user: Record<string, unknown>;
}

/** An OAuth error answer: `status`, `error` and `error_description` as RFC 6749 §5.2 (GitHub uses 200). */
export type OAuthErrorReply = (status: number, error: string, description: string) => FakeReply;

const standardError: OAuthErrorReply = (status, error, description) =>
  jsonReply(status, { error, error_description: description });

/**
 * Base of the loopback authorization servers (Google, Entra ID, GitHub): the browser-side consent is played by
 * {@link approve}; the token endpoint checks the code (single use, same client and redirect URI), the client
 * credential and the PKCE verifier as the real servers do. OIDC fakes sign ID tokens with an RS256 key served as JWKS.
 */
export abstract class FakeAuthorizationServer extends HttpFake {
  /** Registered clients: client ID → secret. */
  readonly clients = new Map<string, string>();
  /** `client_assertion` values accepted instead of a secret (jwt-bearer). */
  readonly acceptedAssertions = new Set<string>();
  /** Outstanding codes. */
  readonly codes = new Map<string, Authorization>();
  private keyPair?: Awaited<ReturnType<typeof generateKeyPair>>;
  private jwk?: JWK;

  /** The origins this fake answers for, for {@link routeNetwork}. */
  abstract readonly origins: readonly string[];

  /** Routes for {@link routeNetwork}: each of {@link origins} to this fake. */
  routes(): Record<string, string> {
    return Object.fromEntries(this.origins.map((o) => [o, this.url]));
  }

  override async start(): Promise<string> {
    this.keyPair = await generateKeyPair('RS256');
    this.jwk = { ...(await exportJWK(this.keyPair.publicKey)), kid: 'fake-key-1', alg: 'RS256', use: 'sig' };
    return super.start();
  }

  override reset(): void {
    super.reset();
    this.codes.clear();
    this.acceptedAssertions.clear();
  }

  /**
   * Plays the user consenting at `authorizeUrl` (what the browser would show): checks the request and returns the
   * redirect back to the client with a fresh code and the same `state`.
   */
  approve(authorizeUrl: string | URL, user: Record<string, unknown> = {}): URL {
    const url = new URL(authorizeUrl);
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri');
    const state = q.get('state');
    if (q.get('response_type') !== 'code') throw new Error(`response_type is ${q.get('response_type')}`);
    if (!this.clients.has(clientId)) throw new Error(`unknown client_id ${clientId}`);
    if (!redirectUri || !state) throw new Error('redirect_uri and state are required');
    const code = `code-${randomUUID()}`;
    this.codes.set(code, {
      clientId,
      redirectUri,
      scope: q.get('scope') ?? '',
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: q.get('code_challenge_method') ?? undefined,
      authorizePath: url.pathname,
      user,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', state);
    return back;
  }

  /** The form of a recorded request. */
  static form(req: Pick<RecordedRequest, 'body'>): URLSearchParams {
    return new URLSearchParams(req.body);
  }

  /**
   * Checks an authorization-code token request; the code is consumed even when a later check fails, as real servers
   * do. Returns the authorization or the error reply.
   */
  protected redeem(req: RecordedRequest, error: OAuthErrorReply = standardError): Authorization | FakeReply {
    const form = FakeAuthorizationServer.form(req);
    if (req.method !== 'POST') return error(405, 'invalid_request', 'POST required');
    if (form.get('grant_type') !== 'authorization_code')
      return error(400, 'unsupported_grant_type', `grant_type ${form.get('grant_type')}`);
    const code = form.get('code') ?? '';
    const grant = this.codes.get(code);
    this.codes.delete(code);
    if (!grant) return error(400, 'invalid_grant', 'The code is unknown, expired or already used.');
    if (form.get('client_id') !== grant.clientId) return error(401, 'invalid_client', 'client_id does not match');
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    const authenticated =
      (secret !== null && secret === this.clients.get(grant.clientId)) ||
      (assertion !== null &&
        form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
        this.acceptedAssertions.has(assertion));
    if (!authenticated) return error(401, 'invalid_client', 'Client authentication failed.');
    if (form.get('redirect_uri') !== grant.redirectUri)
      return error(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    const verifier = form.get('code_verifier');
    if (grant.codeChallenge !== undefined) {
      const expected = verifier === null ? undefined : createHash('sha256').update(verifier).digest('base64url');
      if (grant.codeChallengeMethod !== 'S256' || expected !== grant.codeChallenge)
        return error(400, 'invalid_grant', 'PKCE verification failed.');
    } else if (verifier !== null) return error(400, 'invalid_grant', 'code_verifier without a code_challenge');
    return grant;
  }

  /** The public key set. */
  jwks(): FakeReply {
    if (!this.jwk) throw new Error(`${this.constructor.name} is not started`);
    return jsonReply(200, { keys: [this.jwk] });
  }

  /** An RS256 ID token with `iat`/`exp` set (overridable through `claims`). */
  async signIdToken(claims: Record<string, unknown>): Promise<string> {
    if (!this.keyPair) throw new Error(`${this.constructor.name} is not started`);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iat: now, exp: now + 3600, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'fake-key-1', typ: 'JWT' })
      .sign(this.keyPair.privateKey);
  }

  /** An RS256 token signed by a key this fake does not publish. */
  static async signWithStrangerKey(claims: Record<string, unknown>): Promise<string> {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iat: now, exp: now + 3600, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'fake-key-1', typ: 'JWT' })
      .sign(privateKey);
  }

  /** The bearer token of a request (`Bearer` or GitHub's `token` scheme), or undefined. */
  static accessToken(req: RecordedRequest): string | undefined {
    return /^(?:bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  }
}
