/**
 * The value conversions upstream gets from spf13/cast, reproduced so that claims and literals compare exactly as
 * they do in Go (e.g. a JSON number `1e21` is "1000000000000000000000" there, not JavaScript's "1e+21").
 */

/**
 * `strconv.FormatFloat(x, 'f', -1, 64)`: the shortest digits that round-trip (JavaScript and Go agree on those),
 * but never in exponent notation.
 */
export function formatGoFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  // JSON.parse('-0') yields -0, which Go keeps as "-0" while String() drops the sign.
  if (Object.is(x, -0)) return '-0';
  const s = String(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign = '', lead = '', frac = '', exp = '0'] = m;
  const digits = lead + frac;
  const point = 1 + Number(exp);
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * `cast.ToStringE`: the string form of a scalar, or `undefined` when Go would return an error (slices, maps,
 * functions). `null`/`undefined` are reported as not stringifiable too: callers treat them as an absent claim.
 */
export function goStringE(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatGoFloat(v);
    case 'bigint':
      return v.toString();
    default:
      return undefined;
  }
}

/** Go's `unicode.IsSpace` set, which differs from JavaScript's `\s` (Go has U+0085, JavaScript has U+FEFF). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** `strings.Fields`: split on runs of Unicode whitespace, dropping empty fields. */
export function goFields(s: string): string[] {
  return s.split(GO_SPACE).filter((f) => f !== '');
}

/**
 * `cast.ToStringSlice`: arrays element-wise (unstringifiable elements become ""), strings split into fields, any
 * other stringifiable scalar as a one-element list, everything else as an empty list.
 */
export function goStringSlice(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((el: unknown) => goStringE(el) ?? '');
  if (typeof v === 'string') return goFields(v);
  const s = goStringE(v);
  return s === undefined ? [] : [s];
}
