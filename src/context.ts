/**
 * The per-operation context, built the same way for HTTP requests and (later) WebSocket
 * subscriptions: the principal from the bearer token, fresh DataLoaders, the services.
 */
import crypto from 'node:crypto';
import type { Database } from './db/database';
import type { Principal } from './auth/principal';
import type { TokenVerifier } from './auth/tokens';
import { createLoaders, type Loaders } from './loaders';
import type { Services } from './services';
import type { EventHub } from './events/hub';

export interface Context {
  requestId: string;
  principal: Principal | null;
  db: Database;
  services: Services;
  /** Per operation; a subscription replaces them for every event it delivers. */
  loaders: Loaders;
  /** The process's outbox listener; null where subscriptions are not served (in-process tests). */
  hub: EventHub | null;
}

export interface ContextDeps {
  db: Database;
  services: Services;
  verifier: TokenVerifier;
  hub?: EventHub | null;
}

/** Builds a context from an Authorization header value; a bad token throws UNAUTHENTICATED. */
export async function createContext(deps: ContextDeps, authorization: string | undefined, requestId?: string): Promise<Context> {
  return contextFor(deps, await deps.verifier.fromHeader(authorization), requestId);
}

/** A context for a principal already verified (a WebSocket verifies once, at connect). */
export function contextFor(deps: ContextDeps, principal: Principal | null, requestId?: string): Context {
  return {
    requestId: requestId ?? crypto.randomUUID(),
    principal,
    db: deps.db,
    services: deps.services,
    loaders: createLoaders(deps.db.keyed),
    hub: deps.hub ?? null,
  };
}
