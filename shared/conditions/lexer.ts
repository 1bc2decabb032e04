/**
 * Tokenizer for the condition language: the subset of Go's lexical grammar that vulcand/predicate (upstream's
 * parser, built on `go/parser`) can meet in an expression. Literals are decoded here, so the parser only sees
 * final values.
 */
import { ConditionError } from './errors.js';
import { formatGoFloat } from './go-values.js';

/** Token kinds. `operator` is any other Go operator: lexed only so that errors can name it. */
export type TokenKind =
  | 'ident'
  | 'string'
  | 'number'
  | '('
  | ')'
  | ','
  | '.'
  | '&&'
  | '||'
  | '!'
  | 'operator'
  | 'newline'
  | 'eof';

/** One token; `value` is the decoded string, the Go-stringified number, or the source text for the rest. */
export interface Token {
  kind: TokenKind;
  /** Offset of the first character in the source. */
  pos: number;
  /** Source text of the token, for error messages. */
  text: string;
  value: string;
}

// Longest first, so that `&&` wins over `&` and `<<=` over `<<`. `&&`, `||` and `!` are ours; the rest are Go
// operators and punctuation we reject by name rather than as "unexpected character".
const OPERATORS = [
  '&^=',
  '<<=',
  '>>=',
  '...',
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  '&^',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  ':=',
  '<-',
  '++',
  '--',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '<',
  '>',
  '=',
  ':',
  ';',
  '[',
  ']',
  '{',
  '}',
  '~',
] as const;

const INT_LITERAL = /^[0-9]+$/;
const FLOAT_LITERAL = /^(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)$/;
const INT64_MAX = 2n ** 63n - 1n;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

// Fatal, because Go compares bytes: an escape sequence that is not UTF-8 could never equal a claim read from JSON.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isIdentPart = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);

/** A character as error messages show it: printable ASCII quoted, anything else with its code point. */
export function describeChar(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp >= 0x21 && cp <= 0x7e) return `'${String.fromCodePoint(cp)}'`;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return hex;
  return `'${String.fromCodePoint(cp)}' (${hex})`;
}

/** A token as error messages show it, e.g. `'EOF'`, `identifier 'id'`, `string "a…"`. */
export function describeToken(tok: Token): string {
  const text = tok.text.length > 32 ? `${tok.text.slice(0, 32)}…` : tok.text;
  switch (tok.kind) {
    case 'eof':
      return "'EOF'";
    case 'newline':
      return 'newline';
    case 'ident':
      return `identifier '${text}'`;
    case 'string':
      return `string ${text}`;
    case 'number':
      return `number ${text}`;
    default:
      return `'${text}'`;
  }
}

/**
 * Pulls tokens on demand, so that an error early in the source is reported before a lexical error further on.
 * Runs in linear time: every branch consumes at least one character and nothing is rescanned.
 */
export class Lexer {
  readonly #src: string;
  #i = 0;
  // Go's automatic semicolon insertion: a line break after an identifier, literal or `)` ends the expression.
  #insertSemi = false;

  constructor(src: string) {
    this.#src = src;
    checkCharacters(src);
    // Go skips a byte order mark only at the very start.
    if (src.charCodeAt(0) === 0xfeff) this.#i = 1;
  }

  next(): Token {
    const src = this.#src;
    for (;;) {
      const c = src[this.#i];
      if (c === undefined) return { kind: 'eof', pos: src.length, text: '', value: '' };
      if (c === '\n') {
        this.#i++;
        if (this.#insertSemi) {
          this.#insertSemi = false;
          return { kind: 'newline', pos: this.#i - 1, text: '\n', value: '' };
        }
      } else if (c === ' ' || c === '\t' || c === '\r') {
        this.#i++;
      } else if (c === '/' && src[this.#i + 1] === '/') {
        // Stop before the line break, so that it still ends the expression like in Go.
        const nl = src.indexOf('\n', this.#i);
        this.#i = nl === -1 ? src.length : nl;
      } else if (c === '/' && src[this.#i + 1] === '*') {
        const start = this.#i;
        const end = src.indexOf('*/', start + 2);
        if (end === -1) throw new ConditionError('comment not terminated', start);
        this.#i = end + 2;
        if (this.#insertSemi && src.slice(start, end).includes('\n')) {
          this.#insertSemi = false;
          return { kind: 'newline', pos: start, text: '\n', value: '' };
        }
      } else {
        break;
      }
    }

    const start = this.#i;
    const c = src[start];
    this.#insertSemi = false;
    if (isIdentStart(c)) {
      let i = start + 1;
      while (isIdentPart(src[i])) i++;
      this.#i = i;
      this.#insertSemi = true;
      const text = src.slice(start, i);
      return { kind: 'ident', pos: start, text, value: text };
    }
    if (isDigit(c) || (c === '.' && isDigit(src[start + 1]))) {
      this.#insertSemi = true;
      return this.#number(start);
    }
    if (c === '"') {
      this.#insertSemi = true;
      return this.#string(start);
    }
    if (c === '`') {
      this.#insertSemi = true;
      return this.#rawString(start);
    }
    if (c === '(' || c === ',' || (c === '.' && !src.startsWith('...', start))) {
      this.#i++;
      return { kind: c, pos: start, text: c, value: c };
    }
    if (c === ')') {
      this.#i++;
      this.#insertSemi = true;
      return { kind: ')', pos: start, text: c, value: c };
    }
    const op = OPERATORS.find((o) => src.startsWith(o, start));
    if (op !== undefined) {
      this.#i += op.length;
      const kind = op === '&&' || op === '||' || op === '!' ? op : 'operator';
      return { kind, pos: start, text: op, value: op };
    }
    if (c === "'") {
      throw new ConditionError('unexpected character "\'": strings use double quotes or backticks', start);
    }
    throw new ConditionError(`unexpected character ${describeChar(src.codePointAt(start) ?? 0)}`, start);
  }

  #number(start: number): Token {
    const src = this.#src;
    // Take the whole run that Go could read as one number, then validate it as a whole: this rejects forms
    // upstream cannot evaluate (hex, binary, `0o`, `1_000`, imaginary) with one clear message.
    let i = start;
    for (;;) {
      const c = src[i];
      const prev = src[i - 1];
      if (isIdentPart(c) || c === '.') i++;
      else if ((c === '+' || c === '-') && (prev === 'e' || prev === 'E' || prev === 'p' || prev === 'P')) i++;
      else break;
    }
    this.#i = i;
    const text = src.slice(start, i);
    if (INT_LITERAL.test(text)) {
      // A leading zero makes it an octal literal to Go's scanner, yet upstream converts it with the decimal
      // `strconv.Atoi`, so `010` means 10; only the digits 8 and 9 are a syntax error.
      if (text.length > 1 && text.startsWith('0')) {
        const bad = text.search(/[89]/);
        if (bad !== -1) throw new ConditionError(`invalid digit '${text[bad]}' in octal literal`, start + bad);
      }
      const value = BigInt(text);
      if (value > INT64_MAX) throw new ConditionError(`integer literal ${describeLiteral(text)} out of range`, start);
      return { kind: 'number', pos: start, text, value: value.toString() };
    }
    if (FLOAT_LITERAL.test(text)) {
      const value = Number(text);
      if (!Number.isFinite(value)) {
        throw new ConditionError(`float literal ${describeLiteral(text)} out of range`, start);
      }
      return { kind: 'number', pos: start, text, value: formatGoFloat(value) };
    }
    throw new ConditionError(
      `unsupported number literal ${describeLiteral(text)}: only decimal integers and floats are allowed`,
      start,
    );
  }

  #string(start: number): Token {
    const src = this.#src;
    const out: string[] = [];
    // Bytes from `\x` and octal escapes, decoded as UTF-8 once a run of them ends.
    let bytes: number[] = [];
    let bytesPos = start;
    const flushBytes = (): void => {
      if (bytes.length === 0) return;
      try {
        out.push(utf8.decode(Uint8Array.from(bytes)));
      } catch {
        throw new ConditionError('escape sequences do not form valid UTF-8', bytesPos);
      }
      bytes = [];
    };

    let i = start + 1;
    let segment = i;
    for (;;) {
      const c = src[i];
      if (c === undefined || c === '\n') throw new ConditionError('string literal not terminated', start);
      if (c !== '\\' && c !== '"') {
        i++;
        continue;
      }
      if (i > segment) {
        flushBytes();
        out.push(src.slice(segment, i));
      }
      if (c === '"') {
        flushBytes();
        i++;
        break;
      }

      const esc = i;
      const e = src[i + 1];
      if (e === undefined || e === '\n') throw new ConditionError('escape sequence not terminated', esc);
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        flushBytes();
        out.push(simple);
        i += 2;
      } else if (e === 'x' || (e >= '0' && e <= '7')) {
        const [digits, base] = e === 'x' ? ([2, 16] as const) : ([3, 8] as const);
        const first = e === 'x' ? i + 2 : i + 1;
        const value = this.#escapeDigits(first, digits, base);
        if (value > 255) throw new ConditionError('octal escape value > 255', esc);
        if (bytes.length === 0) bytesPos = esc;
        bytes.push(value);
        i = first + digits;
      } else if (e === 'u' || e === 'U') {
        const digits = e === 'u' ? 4 : 8;
        const cp = this.#escapeDigits(i + 2, digits, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
          throw new ConditionError('escape sequence is invalid Unicode code point', esc);
        }
        flushBytes();
        out.push(String.fromCodePoint(cp));
        i += 2 + digits;
      } else {
        throw new ConditionError(`unknown escape sequence '\\${e}'`, esc);
      }
      segment = i;
    }
    this.#i = i;
    return { kind: 'string', pos: start, text: src.slice(start, i), value: out.join('') };
  }

  #escapeDigits(from: number, count: number, base: 8 | 16): number {
    let value = 0;
    for (let i = from; i < from + count; i++) {
      const c = this.#src[i];
      if (c === undefined || c === '\n') throw new ConditionError('escape sequence not terminated', i);
      const d = Number.parseInt(c, base);
      if (Number.isNaN(d)) {
        throw new ConditionError(
          `illegal character ${describeChar(this.#src.codePointAt(i) ?? 0)} in escape sequence`,
          i,
        );
      }
      value = value * base + d;
    }
    return value;
  }

  #rawString(start: number): Token {
    const end = this.#src.indexOf('`', start + 1);
    if (end === -1) throw new ConditionError('raw string literal not terminated', start);
    this.#i = end + 1;
    // Go drops carriage returns from raw strings, so a condition written on Windows reads the same.
    const value = this.#src.slice(start + 1, end).replaceAll('\r', '');
    return { kind: 'string', pos: start, text: this.#src.slice(start, end + 1), value };
  }
}

function describeLiteral(text: string): string {
  return `'${text.length > 32 ? `${text.slice(0, 32)}…` : text}'`;
}

/**
 * Characters Go rejects anywhere in source, even inside literals and comments: NUL, a byte order mark after the
 * start, and (the UTF-16 analogue of invalid UTF-8) unpaired surrogates.
 */
function checkCharacters(src: string): void {
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 0) throw new ConditionError('illegal character NUL', i);
    if (c === 0xfeff && i > 0) throw new ConditionError('illegal byte order mark', i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = src.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new ConditionError('invalid Unicode: unpaired surrogate', i);
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new ConditionError('invalid Unicode: unpaired surrogate', i);
    }
  }
}
