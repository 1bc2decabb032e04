const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration string (`2h`, `1h30m`, `1.5s`, `-5m`, `0`) into milliseconds, as Go's `time.ParseDuration`
 * does. Returns `undefined` for anything else (including bare numbers other than 0, which Go rejects too).
 */
export function parseDuration(input: string): number | undefined {
  // No trimming: Go's parser rejects surrounding whitespace too.
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== start) return undefined;
    const [, num = '', unit = ''] = m;
    const factor = UNIT_MS[unit];
    if (factor === undefined) return undefined;
    total += Number(num) * factor;
  }
  return sign * total;
}

/** Formats milliseconds the way users write them in config (`2h`, `5m`, `10s`, `1h30m`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.abs(ms);
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return (ms < 0 ? '-' : '') + parts.join('');
}
