/**
 * The signed-in token, kept in sessionStorage (gone when the tab closes), and what the
 * console reads from its claims to decide what to offer. The server checks every request
 * itself; the claims here only choose what is shown.
 */
export type Role = 'CUSTOMER' | 'STORE' | 'AGENT' | 'SERVICE' | 'ADMIN';

export interface Session {
  token: string;
  sub: string;
  role: Role;
  locationIds: string[];
  /** Seconds since the epoch, when the token says. */
  exp: number | null;
}

const KEY = 'orders-console-token';
const ROLES: readonly Role[] = ['CUSTOMER', 'STORE', 'AGENT', 'SERVICE', 'ADMIN'];

/** The claims of a JWT, unverified; an error that says what is wrong with a pasted text. */
export function parseToken(raw: string): Session {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('A token has three parts separated by dots (header.payload.signature).');
  let claims: Record<string, unknown>;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0)));
    claims = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new Error('The token’s payload is not readable JSON.');
  }
  const role = claims.role;
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw new Error(`The token has no role this service knows (${ROLES.join(', ')}).`);
  if (typeof claims.sub !== 'string') throw new Error('The token has no subject (sub).');
  const exp = typeof claims.exp === 'number' ? claims.exp : null;
  if (exp !== null && exp * 1000 < Date.now()) throw new Error('This token has expired.');
  const locationIds = Array.isArray(claims.locationIds) ? claims.locationIds.filter((x): x is string => typeof x === 'string') : [];
  return { token, sub: claims.sub, role: role as Role, locationIds, exp };
}

export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return parseToken(raw);
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function signIn(session: Session): void {
  sessionStorage.setItem(KEY, session.token);
}

const FLASH = 'orders-console-signed-out';

/** Signs out; `reason` is shown once on the sign-in form. */
export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  if (reason) sessionStorage.setItem(FLASH, reason);
}

/** Why the console signed out, once. */
export function signOutReason(): string | null {
  const r = sessionStorage.getItem(FLASH);
  sessionStorage.removeItem(FLASH);
  return r;
}

/** Roles that may act on any order (hold, cancel, re-source). */
export const canManageOrders = (s: Session): boolean => s.role === 'AGENT' || s.role === 'ADMIN';
