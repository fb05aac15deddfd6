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

export interface Context {
  requestId: string;
  principal: Principal | null;
  db: Database;
  services: Services;
  loaders: Loaders;
}

export interface ContextDeps {
  db: Database;
  services: Services;
  verifier: TokenVerifier;
}

/** Builds a context from an Authorization header value; a bad token throws UNAUTHENTICATED. */
export async function createContext(deps: ContextDeps, authorization: string | undefined, requestId?: string): Promise<Context> {
  return {
    requestId: requestId ?? crypto.randomUUID(),
    principal: await deps.verifier.fromHeader(authorization),
    db: deps.db,
    services: deps.services,
    loaders: createLoaders(deps.db),
  };
}
