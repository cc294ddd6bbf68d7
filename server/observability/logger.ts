// Structured JSON logs (pino), one object a line on stdout: a request's line carries its id, status,
// timing and upstream outcome. Never a key, a token, a cookie, a query string or image bytes: callers log
// only paths and outcomes, known header paths are redacted, and every line is scrubbed of registered
// secrets before it is written.
import { pino, stdTimeFunctions, type Logger } from 'pino';
import { scrubSecrets } from './secrets.ts';

export type { Logger };

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where lines go instead of stdout (tests read them); each line comes without its newline. */
export type LogSink = (line: string) => void;

const REDACTED_PATHS = [
  '*.authorization',
  '*["prediction-key"]',
  '*["training-key"]',
  '*.cookie',
  '*["set-cookie"]',
  '*.predictionKey',
  '*.trainingKey',
  '*.token',
  '*.password',
];

export function createLogger(level: LogLevel = 'info', sink?: LogSink): Logger {
  return pino(
    {
      level,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: scrubSecrets },
    },
    sink ? { write: (line: string) => sink(line.trimEnd()) } : undefined,
  );
}

export function parseLogLevel(raw: string | undefined): LogLevel {
  const value = raw?.trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; it is "${raw}".`);
  }
  return value as LogLevel;
}
