/**
 * Structured JSON logs (pino), one line per event on stdout: level, time, msg and fields.
 * Never tokens or personal data: callers log ids, codes and counts, and the redaction below
 * is a second line of defence for the field names that could carry either.
 */
import pino from 'pino';
import type { LogLevel } from './config';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `bindings` (a request's id and operation). */
  child(bindings: Record<string, unknown>): Logger;
}

/** Field names whose values never reach a log line, at the top level or one below. */
const REDACTED = ['authorization', 'token', 'password', 'secret', 'email', 'phone', 'name', 'shippingAddress', 'address', 'line1', 'line2', 'postalCode'];

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (bindings) => wrap(p.child(bindings)),
  };
}

/** `write` receives each line (tests); by default lines go to stdout. */
export function createLogger(level: LogLevel, write?: (line: string) => void): Logger {
  const p = pino(
    {
      level,
      base: undefined, // no pid or hostname on every line; the platform adds its own
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED, ...REDACTED.map((k) => `*.${k}`)], censor: '[redacted]' },
    },
    // synchronous writes: an asynchronous destination reordered the last lines at exit
    // ("stopped" before "embedded PostgreSQL stopped") and may drop lines when the process ends
    write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : pino.destination({ fd: 1, sync: true }),
  );
  return wrap(p);
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
export const silentLogger: Logger = silent;
