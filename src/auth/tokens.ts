/**
 * Bearer JWT verification with jose.
 *
 * - HS256 with JWT_SECRET (development tokens, a service that shares the secret);
 * - RS256 and ES256 with keys from JWKS_URL: fetched once, cached, fetched again when a token
 *   names a key id the cache lacks (rotation; at most once per cooldown) or when the cache is
 *   older than its maximum age. When the key set cannot be fetched and no fresh copy is held,
 *   every such token is refused: the service fails closed, it never skips the signature.
 *
 * The token's `alg` header picks the key, and only the algorithms configured are accepted,
 * so an HS256 token can never be checked against a public key. JWT_ISSUER and JWT_AUDIENCE
 * are checked when set; `exp` is required; 30 s of clock skew is tolerated. Any failure is
 * UNAUTHENTICATED with a reason that does not echo the token.
 */
import {
  jwtVerify,
  createRemoteJWKSet,
  SignJWT,
  errors as joseErrors,
  type JWTVerifyGetKey,
  type JWTHeaderParameters,
  type FlattenedJWSInput,
} from 'jose';
import { unauthenticated } from '../common/errors';
import { ROLES, type Principal, type Role } from './principal';

export interface TokenVerifierOptions {
  /** HS256 secret; tokens signed with it are accepted, and `sign` issues them. */
  secret?: string;
  /** JWKS endpoint for RS256 and ES256 tokens. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Seconds of clock skew tolerated on exp, nbf and iat (default 30). */
  clockToleranceSec?: number;
  /** How long a fetched key set is used before it is fetched again (default 10 minutes). */
  jwksCacheMaxAgeMs?: number;
  /** Least time between two fetches caused by unknown key ids (default 30 s). */
  jwksCooldownMs?: number;
  /** How long one fetch of the key set may take (default 5 s). */
  jwksTimeoutMs?: number;
  /** Told when the key set cannot be fetched (the service logs it; the token is refused). */
  onKeySetError?: (err: Error) => void;
}

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Thrown inside key lookup when the key set is unreachable, so the refusal can say so. */
class KeySetUnavailable extends Error {}

/** How long a verified HS256 token is taken on trust, and how many are kept (emptied when full). */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;

export class TokenVerifier {
  private readonly verified = new Map<string, { principal: Principal; expiresAt: Date; at: number }>();
  private readonly secret?: Uint8Array;
  private readonly jwks?: JWTVerifyGetKey & { reload(): Promise<void> };
  private readonly algorithms: string[];
  private readonly getKey: JWTVerifyGetKey;

  constructor(private readonly opts: TokenVerifierOptions) {
    if (!opts.secret && !opts.jwksUrl) throw new Error('TokenVerifier needs a secret or a JWKS URL');
    this.algorithms = [];
    if (opts.secret) {
      this.secret = new TextEncoder().encode(opts.secret);
      this.algorithms.push('HS256');
    }
    if (opts.jwksUrl) {
      this.jwks = createRemoteJWKSet(new URL(opts.jwksUrl), {
        cacheMaxAge: opts.jwksCacheMaxAgeMs ?? 600_000,
        cooldownDuration: opts.jwksCooldownMs ?? 30_000,
        timeoutDuration: opts.jwksTimeoutMs ?? 5_000,
      });
      this.algorithms.push(...ASYMMETRIC_ALGORITHMS);
    }
    this.getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
      if (header.alg === 'HS256' && this.secret) return this.secret;
      if (!this.jwks) throw new joseErrors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
      try {
        return await this.jwks(header, token);
      } catch (err) {
        if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw err;
        if (err instanceof joseErrors.JOSENotSupported || err instanceof joseErrors.JOSEAlgNotAllowed) throw err;
        this.opts.onKeySetError?.(err as Error);
        throw new KeySetUnavailable((err as Error).message);
      }
    };
  }

  /** Whether `sign` can issue tokens (only with an HS256 secret). */
  get canSign(): boolean {
    return this.secret !== undefined;
  }

  /** Fetches the key set now (at start-up, so that the first request does not wait); never throws. */
  async warmUp(): Promise<boolean> {
    if (!this.jwks) return true;
    try {
      await this.jwks.reload();
      return true;
    } catch (err) {
      this.opts.onKeySetError?.(err as Error);
      return false;
    }
  }

  /** Parses an Authorization header value. No header: null (anonymous). Bad token: throws. */
  async fromHeader(header: string | undefined | null): Promise<Principal | null> {
    if (header === undefined || header === null || header === '') return null;
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m) throw unauthenticated('Authorization must be "Bearer <token>"');
    return this.verify(m[1]);
  }

  async verify(token: string): Promise<Principal> {
    return (await this.inspect(token)).principal;
  }

  /**
   * Verifies a token and says when it expires (a WebSocket closes then). An HS256 token
   * verified in the last VERIFIED_TTL_MS is not verified again (a client sends the same one
   * with every request); its expiry is still checked on every use.
   */
  async inspect(token: string): Promise<{ principal: Principal; expiresAt: Date }> {
    const now = Date.now();
    const known = this.verified.get(token);
    if (known && now - known.at < VERIFIED_TTL_MS) {
      if (now <= known.expiresAt.getTime() + (this.opts.clockToleranceSec ?? 30) * 1000) return known;
      this.verified.delete(token);
      throw unauthenticated('Token expired');
    }
    const { alg, ...fresh } = await this.verifyToken(token);
    // shared by every request that brings this token: nothing may change it
    Object.freeze(fresh.principal.locationIds);
    Object.freeze(fresh.principal);
    // Only HS256 tokens: the secret lasts as long as the process. A key set's token is checked
    // every time, so that a key rotated out stops at once and the service fails closed when
    // the key set is down and its copy has expired.
    if (alg === 'HS256') {
      if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
      this.verified.set(token, { ...fresh, at: now });
    }
    return fresh;
  }

  private async verifyToken(token: string): Promise<{ principal: Principal; expiresAt: Date; alg: string }> {
    let payload;
    let protectedHeader;
    try {
      ({ payload, protectedHeader } = await jwtVerify(token, this.getKey, {
        algorithms: this.algorithms,
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        clockTolerance: this.opts.clockToleranceSec ?? 30,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('Token expired');
      if (err instanceof KeySetUnavailable) throw unauthenticated('Token could not be verified: the signing keys are unavailable');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw unauthenticated(`Token refused: ${claimReason(err.claim)}`);
      throw unauthenticated('Invalid token');
    }
    const { sub, role, locationIds } = payload as { sub?: unknown; role?: unknown; locationIds?: unknown };
    if (typeof sub !== 'string' || sub.length < 1 || sub.length > 64) throw unauthenticated('Token has no valid sub');
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw unauthenticated('Token has no valid role');
    let locations: string[] = [];
    if (role === 'STORE') {
      if (!Array.isArray(locationIds) || locationIds.length > 1000 || !locationIds.every((id) => typeof id === 'string' && UUID.test(id))) {
        throw unauthenticated('A STORE token needs a locationIds array of location ids');
      }
      locations = locationIds.map((id: string) => id.toLowerCase());
    }
    return { principal: { sub, role: role as Role, locationIds: locations }, expiresAt: new Date((payload.exp as number) * 1000), alg: protectedHeader.alg };
  }

  /** Parses "Bearer <token>" like fromHeader, for a WebSocket's connectionParams; null when absent. */
  async inspectHeader(header: unknown): Promise<{ principal: Principal; expiresAt: Date } | null> {
    if (header === undefined || header === null || header === '') return null;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!m) throw unauthenticated('authorization must be "Bearer <token>"');
    return this.inspect(m[1]);
  }

  /** Issues an HS256 token (development tokens printed at start-up, tests). Needs the secret. */
  async sign(claims: { sub: string; role: Role; locationIds?: string[] }, expiresIn = '12h'): Promise<string> {
    if (!this.secret) throw new Error('this verifier has no HS256 secret to sign with (JWKS only)');
    let jwt = new SignJWT({ role: claims.role, ...(claims.locationIds ? { locationIds: claims.locationIds } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(expiresIn);
    if (this.opts.issuer) jwt = jwt.setIssuer(this.opts.issuer);
    if (this.opts.audience) jwt = jwt.setAudience(this.opts.audience);
    return jwt.sign(this.secret);
  }
}

/** Which registered claim failed, in words that do not echo the token. */
function claimReason(claim: string): string {
  switch (claim) {
    case 'iss':
      return 'wrong issuer';
    case 'aud':
      return 'wrong audience';
    case 'nbf':
      return 'not valid yet';
    case 'iat':
      return 'issued in the future';
    case 'exp':
      return 'no expiry';
    default:
      return `invalid ${claim.replace(/[^a-z_]/gi, '').slice(0, 20)} claim`;
  }
}
