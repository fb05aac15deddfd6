/**
 * Limits on every operation, over HTTP and WebSocket alike: depth, aliases, directives,
 * tokens and cost (graphql-armor's rules). Sized so that the operations a router sends this
 * subgraph pass: `_entities` adds a level or two to what a client asked, and a test replays
 * the subgraph queries the gateway generates in the end-to-end tests through these limits.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { BREAK, GraphQLError, visit, type DocumentNode } from 'graphql';

export const OPERATION_LIMITS = {
  /** Nesting of fields (introspection aside). */
  depth: 12,
  aliases: 20,
  directives: 30,
  /** Lexical tokens of the document. */
  tokens: 3000,
  /** graphql-armor's cost: objects 2, scalars 1, growing with depth. */
  cost: 5000,
} as const;

/**
 * The Apollo plugins and validation rules that enforce OPERATION_LIMITS, and the parse
 * options that enforce the token limit. graphql-armor's own token plugin is not used: it
 * parses every document a second time and turns any syntax error, even an empty query, into
 * an unexpected error (HTTP 500). graphql-js's parser counts tokens itself (`maxTokens`)
 * and stops with an ordinary syntax error (GRAPHQL_PARSE_FAILED, HTTP 400).
 */
export function operationLimits() {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: OPERATION_LIMITS.depth, ignoreIntrospection: true },
    maxAliases: { n: OPERATION_LIMITS.aliases },
    maxDirectives: { n: OPERATION_LIMITS.directives },
    maxTokens: { enabled: false },
    costLimit: { maxCost: OPERATION_LIMITS.cost },
    // field suggestions are the error formatter's business (off in production)
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return { plugins, validationRules, parseOptions: { maxTokens: OPERATION_LIMITS.tokens } };
}

/**
 * PostgreSQL text cannot hold U+0000, so a string carrying it would fail deep inside a
 * statement (an internal error). Every string of the variables and of the document's literals
 * is checked before execution: the first one found is refused as BAD_USER_INPUT, naming where.
 * Variables nested deeper than MAX_VARIABLE_DEPTH are refused the same way.
 */
export function inputTextError(document: DocumentNode, source: string | undefined, variables: unknown): GraphQLError | null {
  const refusal = checkVariables(variables);
  if (refusal) return badRequest(refusal);
  // a literal can only carry U+0000 as an escape; skip the walk when there is none
  if (source !== undefined && !/\\u(0000|\{0+\})/i.test(source)) return null;
  let found: string | null = null;
  visit(document, {
    StringValue(node) {
      if (!found && node.value.includes('\u0000')) {
        found = 'a string literal';
        return BREAK;
      }
      return undefined;
    },
  });
  return found ? badRequest(`Text must not contain the NUL character (U+0000): ${found}`) : null;
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

/** Deeper variables than any input type of the schema needs are refused before anything walks them. */
export const MAX_VARIABLE_DEPTH = 32;

interface Visit {
  value: unknown;
  key: string | number | null;
  parent: Visit | null;
  depth: number;
}

const pathOf = (v: Visit): string => {
  const parts: (string | number)[] = [];
  for (let at: Visit | null = v; at && at.key !== null; at = at.parent) parts.push(at.key);
  return parts.reverse().join('.');
};

/**
 * Walks the variables once, iteratively (JSON may nest 100,000 levels deep), for a string
 * holding U+0000 (keys included) and for nesting deeper than MAX_VARIABLE_DEPTH.
 */
export function checkVariables(root: unknown): string | null {
  const stack: Visit[] = [{ value: root, key: null, parent: null, depth: 0 }];
  while (stack.length) {
    const at = stack.pop()!;
    const { value } = at;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return `Text must not contain the NUL character (U+0000): variable ${pathOf(at)}`;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (at.depth >= MAX_VARIABLE_DEPTH) return `Variables nest at most ${MAX_VARIABLE_DEPTH} levels deep`;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: at, depth: at.depth + 1 });
    } else {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes('\u0000')) return `Text must not contain the NUL character (U+0000): a key of variable ${pathOf(at) || '(root)'}`;
        stack.push({ value: v, key: k, parent: at, depth: at.depth + 1 });
      }
    }
  }
  return null;
}
