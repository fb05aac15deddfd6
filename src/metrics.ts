/**
 * Prometheus metrics (prom-client), served at GET /metrics: GraphQL request rate and
 * latency by operation, sourcing latency, orders placed, reservation conflicts (a plan that
 * lost its stock to a concurrent order and was made again), active subscriptions, and the
 * outbox lag (commit of an event to its delivery). One registry per process, shared by
 * every app the process builds (tests build several).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const metrics = {
  requests: new Counter({
    name: 'orders_graphql_requests_total',
    help: 'GraphQL operations over HTTP, by operation name, type and outcome (ok, error).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [registry],
  }),
  requestSeconds: new Histogram({
    name: 'orders_graphql_request_duration_seconds',
    help: 'GraphQL operation latency over HTTP, by operation name and type.',
    labelNames: ['operation', 'type'] as const,
    buckets: seconds,
    registers: [registry],
  }),
  planSeconds: new Histogram({
    name: 'orders_sourcing_plan_duration_seconds',
    help: 'The sourcing planner on one order (eligibility and optimization), without I/O.',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
    registers: [registry],
  }),
  ordersPlaced: new Counter({ name: 'orders_placed_total', help: 'Orders placed (idempotent repeats not counted).', registers: [registry] }),
  reservationConflicts: new Counter({
    name: 'orders_reservation_conflicts_total',
    help: 'Reservations that lost stock to a concurrent one and planned again.',
    registers: [registry],
  }),
  rateLimited: new Counter({
    name: 'orders_rate_limited_total',
    help: 'Mutation operations refused by the per-principal rate limit, by role.',
    labelNames: ['role'] as const,
    registers: [registry],
  }),
  activeSubscriptions: new Gauge({ name: 'orders_active_subscriptions', help: 'Subscriptions open on this process.', registers: [registry] }),
  outboxLagSeconds: new Histogram({
    name: 'orders_outbox_lag_seconds',
    help: "From an order event's write (just before its commit) to its delivery to a subscriber.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
};

/** Seconds since `start` (from process.hrtime.bigint()). */
export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
