/**
 * Limits on every operation, over HTTP and WebSocket alike: depth, aliases, directives,
 * tokens and cost (graphql-armor's rules). Sized so that the operations a router sends this
 * subgraph pass: `_entities` adds a level or two to what a client asked, and a test replays
 * the subgraph queries the gateway generates in the end-to-end tests through these limits.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';

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

/** The Apollo plugins and validation rules that enforce OPERATION_LIMITS. */
export function operationLimits() {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: OPERATION_LIMITS.depth, ignoreIntrospection: true },
    maxAliases: { n: OPERATION_LIMITS.aliases },
    maxDirectives: { n: OPERATION_LIMITS.directives },
    maxTokens: { n: OPERATION_LIMITS.tokens },
    costLimit: { maxCost: OPERATION_LIMITS.cost },
    // field suggestions are the error formatter's business (off in production)
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return { plugins, validationRules };
}
