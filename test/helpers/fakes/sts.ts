import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type FakeReply, HttpFake, jsonReply, type RecordedRequest } from './http-fake.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
type Alg = 'ES384' | 'RS256';

/** The fields of a `GetWebIdentityToken` call as the fake decoded them. */
export interface StsTokenRequest {
  audiences: string[];
  signingAlgorithm: string | null;
  durationSeconds: number;
}

/**
 * A fake AWS STS speaking what `@aws-sdk/client-sts` 3.1177 sends: the AWS **query protocol** — `POST /` with form
 * `Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.N=…&SigningAlgorithm=…&DurationSeconds=…`, SigV4
 * signed, answered with `<GetWebIdentityTokenResponse>` XML (errors as `<ErrorResponse>`).
 *
 * It is also the token issuer: the minted JWT is really signed (ES384 or RS256 keys per request) with `iss` = this
 * fake's URL, `sub` = {@link roleArn}, `aud` = the requested audience(s), and it serves
 * `/.well-known/openid-configuration` and `/.well-known/jwks.json`, so an identity provider can verify the token.
 */
export class FakeSts extends HttpFake {
  /** `sub` of minted tokens: the caller's role ARN. */
  roleArn = 'arn:aws:iam::123456789012:role/tfa-callback';
  /** Clock for `iat`/`exp`/`Expiration`, epoch ms. */
  now: () => number = Date.now;
  /** Tokens issued so far. */
  issued = 0;

  private readonly keys = new Map<Alg, { privateKey: CryptoKey; jwk: JWK }>();

  /** The issuer URL that minted tokens carry (equals {@link url}). */
  get issuer(): string {
    return this.url;
  }

  /** Decoded `GetWebIdentityToken` calls, oldest first. */
  get tokenCalls(): StsTokenRequest[] {
    return this.tokenRequests.map(decodeCall);
  }

  /** An STS error reply (query-protocol XML), e.g. `FakeSts.error(403, 'OutboundWebIdentityFederationDisabled…')`. */
  static error(status: number, code: string, message: string): FakeReply {
    return {
      status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() },
      body:
        `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code>` +
        `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    };
  }

  override async start(): Promise<string> {
    for (const alg of ['ES384', 'RS256'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg);
      const jwk = { ...(await exportJWK(publicKey)), kid: `fake-sts-${alg.toLowerCase()}`, alg, use: 'sig' };
      this.keys.set(alg, { privateKey, jwk });
    }
    return super.start();
  }

  override reset(): void {
    super.reset();
    this.now = Date.now;
    this.issued = 0;
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return req.method === 'POST' && req.path === '/';
  }

  protected async handle(req: RecordedRequest): Promise<FakeReply> {
    if (req.method === 'GET' && req.path === '/.well-known/openid-configuration') {
      return jsonReply(200, {
        issuer: this.issuer,
        jwks_uri: `${this.issuer}/.well-known/jwks.json`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES384', 'RS256'],
        claims_supported: ['aud', 'exp', 'iat', 'iss', 'jti', 'sub', 'https://sts.amazonaws.com/'],
      });
    }
    if (req.method === 'GET' && req.path === '/.well-known/jwks.json') {
      return jsonReply(200, { keys: [...this.keys.values()].map((k) => k.jwk) });
    }
    if (!this.isTokenRequest(req)) return jsonReply(404, { message: 'not found' });
    return this.getWebIdentityToken(req);
  }

  private async getWebIdentityToken(req: RecordedRequest): Promise<FakeReply> {
    // 1. The SDK always signs; an unsigned call means the client is misconfigured.
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=')) {
      return FakeSts.error(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    }

    // 2. Decode and validate the query-protocol form like STS does.
    const form = new URLSearchParams(req.body);
    if (form.get('Action') !== 'GetWebIdentityToken' || form.get('Version') !== '2011-06-15') {
      return FakeSts.error(400, 'InvalidAction', `Could not find operation ${form.get('Action')}`);
    }
    const call = decodeCall(req);
    const alg = call.signingAlgorithm;
    const key = alg === 'ES384' || alg === 'RS256' ? this.keys.get(alg) : undefined;
    if (!key || !alg) return FakeSts.error(400, 'ValidationError', 'SigningAlgorithm must be ES384 or RS256');
    if (call.audiences.length < 1 || call.audiences.length > 10) {
      return FakeSts.error(400, 'ValidationError', 'Audience must have 1 to 10 members');
    }
    if (!Number.isInteger(call.durationSeconds) || call.durationSeconds < 60 || call.durationSeconds > 3600) {
      return FakeSts.error(400, 'ValidationError', 'DurationSeconds must be between 60 and 3600');
    }

    // 3. Mint the token as AWS documents its claims.
    this.issued += 1;
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + call.durationSeconds;
    const token = await new SignJWT({
      'https://sts.amazonaws.com/': {
        aws_account: '123456789012',
        source_region: 'us-east-1',
        principal_id: `${this.roleArn.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/session`,
      },
    })
      .setProtectedHeader({ alg, kid: key.jwk.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(this.roleArn)
      .setAudience(call.audiences.length === 1 ? (call.audiences[0] ?? '') : call.audiences)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(key.privateKey);

    const requestId = randomUUID();
    return {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body:
        `<GetWebIdentityTokenResponse xmlns="${NS}"><GetWebIdentityTokenResult>` +
        `<WebIdentityToken>${token}</WebIdentityToken>` +
        `<Expiration>${new Date(exp * 1000).toISOString()}</Expiration>` +
        `</GetWebIdentityTokenResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
        `</GetWebIdentityTokenResponse>`,
    };
  }
}

function decodeCall(req: RecordedRequest): StsTokenRequest {
  const form = new URLSearchParams(req.body);
  const audiences: string[] = [];
  for (let i = 1; form.has(`Audience.member.${i}`); i++) audiences.push(form.get(`Audience.member.${i}`) ?? '');
  return {
    audiences,
    signingAlgorithm: form.get('SigningAlgorithm'),
    durationSeconds: Number(form.get('DurationSeconds') ?? '300'),
  };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
