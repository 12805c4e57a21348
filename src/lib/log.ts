import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Fields that may carry secrets; pino replaces them wherever they appear in a log object. */
export const REDACT_PATHS = [
  'psk',
  '*.psk',
  '*.*.psk',
  'key',
  '*.key',
  'keys',
  '*.keys',
  'encKey',
  '*.encKey',
  'integKey',
  '*.integKey',
  'token',
  '*.token',
  'skD',
  'skE',
  'skA',
  'skP',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** Human-readable output (pino-pretty) instead of JSON; default: stdout is a TTY. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

/** Root logger factory; only the composition root calls this and injects children elsewhere. */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const pretty = opts.pretty ?? (process.stdout.isTTY && opts.destination === undefined);
  const base = { level, redact: { paths: REDACT_PATHS, censor: '<redacted>' }, base: null };
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' },
      },
    });
  }
  if (opts.destination) return pino(base, opts.destination);
  return pino(base);
}

/** A logger that drops everything (for tests and library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
