/**
 * The GraphQL API over HTTP, on this origin: the same /graphql every client uses. Errors come
 * back as ApiError with the server's message and code; an UNAUTHENTICATED answer (a token
 * expired or revoked) signs the console out.
 */
import { currentSession, signOut } from './session';

export class ApiError extends Error {
  constructor(message: string, readonly code: string | null) {
    super(message);
  }
}

export const GRAPHQL_PATH = '/graphql';
const ROUTER_REFUSAL = /come through the router/i;

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const session = currentSession();
  let res: Response;
  try {
    res = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session.token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The service cannot be reached. Check the connection and try again.', 'NETWORK');
  }
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError(`The service answered ${res.status} without GraphQL.`, 'HTTP');
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ?? null;
    // the token expired or was refused: sign out, and say why on the sign-in form. The
    // router's refusal (ROUTER_SECRET set) is also UNAUTHENTICATED but says nothing of the token.
    if (code === 'UNAUTHENTICATED' && session && !ROUTER_REFUSAL.test(first.message)) {
      signOut(first.message);
      window.dispatchEvent(new Event('console:signed-out'));
    }
    throw new ApiError(first.message, code);
  }
  if (!body.data) throw new ApiError(`The service answered ${res.status} with no data.`, 'HTTP');
  return body.data;
}

/** A mutation's user errors, as every payload of the API carries them. */
export interface UserError {
  code: string;
  message: string;
  field: string[] | null;
}
