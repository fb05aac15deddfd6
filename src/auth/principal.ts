/**
 * Who is calling. Roles as the design fixes them; a STORE principal carries the locations
 * it works for.
 */
import { forbidden, unauthenticated } from '../common/errors';

export const ROLES = ['CUSTOMER', 'STORE', 'AGENT', 'SERVICE', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  sub: string;
  role: Role;
  /** STORE only: the locations whose fulfillment work it may see and advance. */
  locationIds: string[];
}

/** The principal, or UNAUTHENTICATED. */
export function requirePrincipal(p: Principal | null): Principal {
  if (!p) throw unauthenticated();
  return p;
}

/** The principal if its role is one of `roles` (ADMIN always is), else FORBIDDEN. */
export function requireRole(p: Principal | null, ...roles: Role[]): Principal {
  const principal = requirePrincipal(p);
  if (principal.role !== 'ADMIN' && !roles.includes(principal.role)) {
    throw forbidden(`This operation needs one of the roles ${['ADMIN', ...roles].join(', ')}`);
  }
  return principal;
}

/** Sourcing rules (cost models, exclusions) are operational data: not for customers or stores. */
export function canReadRules(p: Principal): boolean {
  return p.role === 'ADMIN' || p.role === 'AGENT' || p.role === 'SERVICE';
}
