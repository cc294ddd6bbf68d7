// Benchmark settings from BENCH_* environment variables, checked: a bad value is reported in one line.

/** A bad BENCH_* variable: reported in one line, not with a stack trace. */
export class SettingsError extends Error {}

export function numberFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new SettingsError(`${name} must be a number from ${min} to ${max}; it is "${raw}".`);
  }
  return value;
}
