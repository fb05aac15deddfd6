/**
 * Errors. Expected business outcomes are UserErrors returned in payloads; everything else
 * is a GraphQLError with an extensions.code, raised through the helpers below.
 */
import { GraphQLError } from 'graphql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum UserErrorCode {
  NOT_FOUND = 'NOT_FOUND',
  INVALID_TRANSITION = 'INVALID_TRANSITION',
  VERSION_CONFLICT = 'VERSION_CONFLICT',
  INSUFFICIENT_STOCK = 'INSUFFICIENT_STOCK',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  VALIDATION = 'VALIDATION',
  FORBIDDEN_LOCATION = 'FORBIDDEN_LOCATION',
  NO_ELIGIBLE_LOCATION = 'NO_ELIGIBLE_LOCATION',
}
registerEnumType(UserErrorCode, { name: 'UserErrorCode', description: 'Why a mutation did not do what was asked.' });

@ObjectType({ description: 'An expected business outcome that stopped a mutation; nothing was changed.' })
export class UserError {
  @Field(() => UserErrorCode)
  code!: UserErrorCode;

  @Field()
  message!: string;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["lines", "0", "quantity"].' })
  field?: string[] | null;
}

export function userError(code: UserErrorCode, message: string, field?: (string | number)[]): UserError {
  return Object.assign(new UserError(), { code, message, field: field ? field.map(String) : null });
}

/** A service result: either the value or the user errors that prevented it. */
export type Result<T> = { ok: true; value: T } | { ok: false; errors: UserError[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(...errors: UserError[]): Result<T> => ({ ok: false, errors });

/** Thrown inside a transaction to roll it back and return these user errors. */
export class UserErrorsAbort extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** A UserErrorsAbort of one error, for throwing out of a transaction. */
export function abortWith(code: UserErrorCode, message: string, field: (string | number)[]): UserErrorsAbort {
  return new UserErrorsAbort([userError(code, message, field)]);
}

/** Runs `run`; user errors thrown inside it (a UserErrorsAbort rolls its transaction back) come back as a failed Result. */
export async function withUserErrors<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UserErrorsAbort) return fail(...err.errors);
    throw err;
  }
}

export function unauthenticated(message = 'Authentication required'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(message = 'Not allowed for this principal'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

export function badInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argumentName: argument } : {}) } });
}
