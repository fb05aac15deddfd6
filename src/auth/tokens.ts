/**
 * Bearer JWT verification with jose. HS256 with JWT_SECRET here; JWT_ISSUER and
 * JWT_AUDIENCE are checked when set. Any failure is UNAUTHENTICATED with a reason that
 * does not echo the token.
 */
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { unauthenticated } from '../common/errors';
import { ROLES, type Principal, type Role } from './principal';

export interface TokenVerifierOptions {
  secret: string;
  issuer?: string;
  audience?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TokenVerifier {
  private readonly key: Uint8Array;

  constructor(private readonly opts: TokenVerifierOptions) {
    this.key = new TextEncoder().encode(opts.secret);
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

  /** Verifies a token and says when it expires (a WebSocket closes then). */
  async inspect(token: string): Promise<{ principal: Principal; expiresAt: Date }> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        clockTolerance: 30,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('Token expired');
      throw unauthenticated('Invalid token');
    }
    const { sub, role, locationIds } = payload as { sub?: unknown; role?: unknown; locationIds?: unknown };
    if (typeof sub !== 'string' || sub.length < 1 || sub.length > 64) throw unauthenticated('Token has no valid sub');
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw unauthenticated('Token has no valid role');
    let locations: string[] = [];
    if (role === 'STORE') {
      if (!Array.isArray(locationIds) || !locationIds.every((id) => typeof id === 'string' && UUID.test(id))) {
        throw unauthenticated('A STORE token needs a locationIds array of location ids');
      }
      locations = locationIds.map((id: string) => id.toLowerCase());
    }
    return { principal: { sub, role: role as Role, locationIds: locations }, expiresAt: new Date((payload.exp as number) * 1000) };
  }

  /** Parses "Bearer <token>" like fromHeader, for a WebSocket's connectionParams; null when absent. */
  async inspectHeader(header: unknown): Promise<{ principal: Principal; expiresAt: Date } | null> {
    if (header === undefined || header === null || header === '') return null;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!m) throw unauthenticated('authorization must be "Bearer <token>"');
    return this.inspect(m[1]);
  }

  /** Issues a token (development tokens printed at start-up, tests). */
  async sign(claims: { sub: string; role: Role; locationIds?: string[] }, expiresIn = '12h'): Promise<string> {
    let jwt = new SignJWT({ role: claims.role, ...(claims.locationIds ? { locationIds: claims.locationIds } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(expiresIn);
    if (this.opts.issuer) jwt = jwt.setIssuer(this.opts.issuer);
    if (this.opts.audience) jwt = jwt.setAudience(this.opts.audience);
    return jwt.sign(this.key);
  }
}
