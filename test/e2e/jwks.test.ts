/**
 * Tokens from an identity provider's JWKS: a key server of the test's own on 127.0.0.1
 * that can rotate its keys, go down, or hang. The verifier is exercised directly for the
 * timing-sensitive cases (rotation, cache expiry, timeouts), and the real process (`start`)
 * is run with JWKS_URL alone to show the path over HTTP.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, exportJWK, exportSPKI, SignJWT, type KeyLike, type JWK } from 'jose';
import { TokenVerifier } from '../../src/auth/tokens';
import { loadConfig, ConfigError } from '../../src/config';
import { start, type Running } from '../../src/main';
import { silentLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyLike;
  publicJwk: JWK;
  publicPem: string;
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, publicPem: await exportSPKI(publicKey) };
}

/** A JWKS endpoint: `keys` is what it publishes; `mode` makes it fail or hang; `fetches` counts requests. */
class KeyServer {
  keys: SigningKey[] = [];
  mode: 'up' | 'error' | 'hang' = 'up';
  fetches = 0;
  private readonly server = http.createServer((_req, res) => {
    this.fetches += 1;
    if (this.mode === 'hang') return; // never answers; the socket is destroyed at close
    if (this.mode === 'error') {
      res.writeHead(503).end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
  });
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'orders-subgraph';

async function token(
  key: SigningKey,
  claims: Record<string, unknown> = { role: 'AGENT' },
  opts: { issuer?: string; audience?: string; exp?: number; nbf?: number; kid?: string | null } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header: { alg: string; kid?: string } = { alg: key.alg };
  if (opts.kid !== null) header.kid = opts.kid ?? key.kid;
  let jwt = new SignJWT(claims)
    .setProtectedHeader(header)
    .setSubject('agent-7')
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? AUDIENCE)
    .setIssuedAt(now - 5)
    .setExpirationTime(opts.exp ?? now + 600);
  if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
  return jwt.sign(key.privateKey);
}

/** The refusal's message, or 'ok' with the role when the token passes. */
async function outcome(verifier: TokenVerifier, jwt: string): Promise<string> {
  try {
    const p = await verifier.verify(jwt);
    return `ok ${p.role} ${p.sub}`;
  } catch (err) {
    return (err as Error).message;
  }
}

let keys: KeyServer;
let rsa1: SigningKey;
let rsa2: SigningKey;
let ec1: SigningKey;
let stranger: SigningKey;

beforeAll(async () => {
  [rsa1, rsa2, ec1, stranger] = await Promise.all([
    signingKey('rsa-1', 'RS256'),
    signingKey('rsa-2', 'RS256'),
    signingKey('ec-1', 'ES256'),
    signingKey('rsa-1', 'RS256'), // same kid as rsa1, different key: a forgery
  ]);
  keys = new KeyServer();
  await keys.listen();
});
afterAll(async () => {
  await keys.close();
});
beforeEach(() => {
  keys.keys = [rsa1, ec1];
  keys.mode = 'up';
  keys.fetches = 0;
});

function verifier(extra: Partial<ConstructorParameters<typeof TokenVerifier>[0]> = {}): TokenVerifier {
  return new TokenVerifier({ jwksUrl: keys.url, issuer: ISSUER, audience: AUDIENCE, jwksCooldownMs: 100, ...extra });
}

describe('JWKS verification', () => {
  it('accepts RS256 and ES256 tokens from the key set, and fetches the keys once for many tokens', async () => {
    const v = verifier();
    expect(await outcome(v, await token(rsa1))).toBe('ok AGENT agent-7');
    expect(await outcome(v, await token(ec1, { role: 'ADMIN' }))).toBe('ok ADMIN agent-7');
    const many = await Promise.all(Array.from({ length: 20 }, async () => outcome(v, await token(rsa1))));
    expect(new Set(many)).toEqual(new Set(['ok AGENT agent-7']));
    expect(keys.fetches).toBe(1);
  });

  it('refuses a forged signature, an unknown key, and tokens for someone else', async () => {
    const v = verifier();
    expect(await outcome(v, await token(stranger))).toBe('Invalid token');
    expect(await outcome(v, await token(stranger, { role: 'AGENT' }, { kid: 'nobody' }))).toBe('Invalid token');
    expect(await outcome(v, await token(rsa1, { role: 'AGENT' }, { issuer: 'https://evil.example/' }))).toBe('Token refused: wrong issuer');
    expect(await outcome(v, await token(rsa1, { role: 'AGENT' }, { audience: 'another-api' }))).toBe('Token refused: wrong audience');
    expect(await outcome(v, await token(rsa1, { role: 'SUPERUSER' }))).toBe('Token has no valid role');
  });

  it('never checks an HS256 token against a public key, and refuses alg "none"', async () => {
    const v = verifier();
    // the classic confusion attack: HS256 "signed" with the public key's PEM as the secret
    const confused = await new SignJWT({ role: 'ADMIN' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('mallory')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(rsa1.publicPem));
    expect(await outcome(v, confused)).toBe('Invalid token');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none' })}.${b64({ sub: 'mallory', role: 'ADMIN', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    expect(await outcome(v, none)).toBe('Invalid token');
  });

  it('tolerates 30 s of clock skew and no more', async () => {
    const v = verifier();
    const now = Math.floor(Date.now() / 1000);
    expect(await outcome(v, await token(rsa1, { role: 'AGENT' }, { exp: now - 10 }))).toBe('ok AGENT agent-7');
    expect(await outcome(v, await token(rsa1, { role: 'AGENT' }, { exp: now - 60 }))).toBe('Token expired');
    expect(await outcome(v, await token(rsa1, { role: 'AGENT' }, { nbf: now + 10 }))).toBe('ok AGENT agent-7');
    expect(await outcome(v, await token(rsa1, { role: 'AGENT' }, { nbf: now + 120 }))).toBe('Token refused: not valid yet');
  });

  it('follows a key rotation: a new key id makes it fetch again, and a retired key stops working', async () => {
    const v = verifier({ jwksCooldownMs: 100 });
    expect(await outcome(v, await token(rsa1))).toBe('ok AGENT agent-7');
    keys.keys = [rsa2, ec1]; // the provider rotates rsa-1 out
    await new Promise((r) => setTimeout(r, 150));
    expect(await outcome(v, await token(rsa2))).toBe('ok AGENT agent-7');
    expect(keys.fetches).toBe(2);
    expect(await outcome(v, await token(rsa1))).toBe('Invalid token');
  });

  it('fetches at most once per cooldown however many unknown key ids arrive', async () => {
    const v = verifier({ jwksCooldownMs: 60_000 });
    expect(await outcome(v, await token(rsa1))).toBe('ok AGENT agent-7');
    const forged = await Promise.all(Array.from({ length: 30 }, async (_, i) => outcome(v, await token(stranger, { role: 'ADMIN' }, { kid: `k${i}` }))));
    expect(new Set(forged)).toEqual(new Set(['Invalid token']));
    expect(keys.fetches).toBe(1);
  });

  it('fails closed while the key set is down and its cache has expired, and recovers when it is back', async () => {
    const errors: string[] = [];
    const v = verifier({ jwksCacheMaxAgeMs: 100, onKeySetError: (e) => errors.push(e.message) });
    const jwt = await token(rsa1);
    expect(await outcome(v, jwt)).toBe('ok AGENT agent-7');
    keys.mode = 'error';
    await new Promise((r) => setTimeout(r, 150));
    expect(await outcome(v, jwt)).toBe('Token could not be verified: the signing keys are unavailable');
    expect(errors.length).toBeGreaterThan(0);
    keys.mode = 'up';
    expect(await outcome(v, jwt)).toBe('ok AGENT agent-7');
  });

  it('gives up on a key set that hangs after its timeout, and refuses the token', async () => {
    keys.mode = 'hang';
    const v = verifier({ jwksTimeoutMs: 300 });
    const t0 = Date.now();
    expect(await outcome(v, await token(rsa1))).toBe('Token could not be verified: the signing keys are unavailable');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await v.warmUp()).toBe(false);
  });

  it('accepts HS256 beside JWKS only when a secret is configured', async () => {
    const secret = 'an-hs256-secret-of-at-least-32-chars!!';
    const withSecret = verifier({ secret });
    const jwksOnly = verifier();
    const hs = await withSecret.sign({ sub: 'svc', role: 'SERVICE' });
    expect(await outcome(withSecret, hs)).toBe('ok SERVICE svc');
    expect(await outcome(jwksOnly, hs)).toBe('Invalid token');
    expect(jwksOnly.canSign).toBe(false);
    await expect(jwksOnly.sign({ sub: 'x', role: 'ADMIN' })).rejects.toThrow(/no HS256 secret/);
  });

  it('checks JWKS_URL: an http(s) URL, https in production unless on loopback', () => {
    expect(() => loadConfig({ JWKS_URL: 'ftp://keys.example/jwks' })).toThrow(ConfigError);
    expect(() => loadConfig({ JWKS_URL: 'not a url' })).toThrow(/http\(s\) URL/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWKS_URL: 'http://idp.example/jwks' })).toThrow(/https in production/);
    expect(loadConfig({ NODE_ENV: 'production', JWKS_URL: 'http://127.0.0.1:9/jwks' }).jwksUrl).toBe('http://127.0.0.1:9/jwks');
    expect(loadConfig({ NODE_ENV: 'production', JWKS_URL: 'https://idp.example/jwks', JWKS_CACHE_SECONDS: '60' }).jwksCacheSeconds).toBe(60);
    expect(() => loadConfig({ JWKS_CACHE_SECONDS: '0' })).toThrow(/JWKS_CACHE_SECONDS/);
  });
});

describe('the service with JWKS_URL only', () => {
  let tdb: TestDatabase;
  let running: Running;

  beforeAll(async () => {
    tdb = await createTestDatabase(2);
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: tdb.url,
      JWKS_URL: keys.url,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWKS_CACHE_SECONDS: '1',
      PORT: '0',
      SEED_DEMO: '1',
    });
    running = await start(config, silentLogger);
  });
  afterAll(async () => {
    await running?.stop();
    await tdb?.drop();
  });

  async function rules(authorization?: string) {
    const res = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query: '{ sourcingRules { name } }' }),
    });
    const json = (await res.json()) as { data?: { sourcingRules: { name: string }[] }; errors?: { message: string; extensions?: { code?: string } }[] };
    return { status: res.status, names: json.data?.sourcingRules.map((r) => r.name), error: json.errors?.[0] };
  }

  it('serves a request with an RS256 or ES256 token from the key set', async () => {
    const rs = await rules(`Bearer ${await token(rsa1)}`);
    expect(rs.status).toBe(200);
    expect(rs.names?.length).toBeGreaterThan(0);
    const es = await rules(`Bearer ${await token(ec1)}`);
    expect(es.names).toEqual(rs.names);
  });

  it('refuses an HS256 token (no secret is configured) and a token from another issuer', async () => {
    const hs = await new SignJWT({ role: 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(40)));
    const refused = await rules(`Bearer ${hs}`);
    expect([refused.status, refused.error?.extensions?.code, refused.error?.message]).toEqual([401, 'UNAUTHENTICATED', 'Invalid token']);
    const other = await rules(`Bearer ${await token(rsa1, { role: 'AGENT' }, { issuer: 'https://other.example/' })}`);
    expect([other.error?.extensions?.code, other.error?.message]).toEqual(['UNAUTHENTICATED', 'Token refused: wrong issuer']);
  });

  it('fails closed with 401, not 500, while the key set is down and its cache has expired; recovers after', async () => {
    const jwt = `Bearer ${await token(rsa1)}`;
    expect((await rules(jwt)).status).toBe(200);
    keys.mode = 'error';
    await new Promise((r) => setTimeout(r, 1_100)); // JWKS_CACHE_SECONDS=1
    const down = await rules(jwt);
    expect([down.status, down.error?.extensions?.code, down.error?.message, down.names]).toEqual([
      401,
      'UNAUTHENTICATED',
      'Token could not be verified: the signing keys are unavailable',
      undefined,
    ]);
    keys.mode = 'up';
    expect((await rules(jwt)).status).toBe(200);
  });
});
