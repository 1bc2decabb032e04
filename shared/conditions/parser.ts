/**
 * Recursive-descent parser for the condition language, producing an AST with source positions. It checks syntax
 * only; which functions exist and how many arguments they take is checked when compiling (`conditions.ts`), in
 * the same order as upstream, where `go/parser` runs first and the predicate library validates afterwards.
 *
 * Grammar (Go precedence: `!` binds tighter than `&&`, which binds tighter than `||`):
 *
 *     or       = and { "||" and }
 *     and      = unary { "&&" unary }
 *     unary    = { "!" } primary
 *     primary  = "(" or ")" | call
 *     call     = selector "(" [ arg { "," arg } [ "," ] ] ")"
 *     arg      = string | number | selector
 *     selector = ident { "." ident }
 */
import { ConditionError } from './errors.js';
import { describeToken, Lexer, type Token } from './lexer.js';

/** Longest accepted condition, in UTF-16 code units. Keeps parsing cost and cache memory bounded. */
export const MAX_CONDITION_LENGTH = 4096;
/** Deepest accepted nesting of parentheses. Keeps the recursive parser and evaluator far from stack limits. */
export const MAX_CONDITION_DEPTH = 64;

/** A function argument: a decoded literal, or a bare (possibly dotted) identifier. */
export type Arg =
  | { kind: 'string' | 'number'; value: string; pos: number }
  | { kind: 'selector'; path: string[]; pos: number };

/** A condition node. `&&`/`||` chains are flattened into one n-ary node, so long chains don't deepen the tree. */
export type Node =
  | { type: 'and' | 'or'; operands: Node[]; pos: number }
  | { type: 'not'; operand: Node; pos: number }
  | { type: 'call'; name: string; args: Arg[]; pos: number; closePos: number };

/**
 * Parses a condition into its AST.
 *
 * @throws ConditionError on a syntax error or when the source exceeds the length or nesting limits.
 */
export function parseCondition(source: string): Node {
  if (source.length > MAX_CONDITION_LENGTH) {
    throw new ConditionError(
      `condition is too long (${source.length} characters, maximum ${MAX_CONDITION_LENGTH})`,
      MAX_CONDITION_LENGTH,
    );
  }
  return new Parser(source).parse();
}

class Parser {
  readonly #lexer: Lexer;
  #tok: Token;
  #depth = 0;

  constructor(source: string) {
    this.#lexer = new Lexer(source);
    this.#tok = this.#lexer.next();
  }

  parse(): Node {
    const node = this.#or();
    // Like Go's ParseExpr, tolerate the line break (or comment) that ends the expression.
    if (this.#at('newline')) {
      const newline = this.#tok;
      this.#advance();
      if (this.#at('eof')) return node;
      // Anything after it: blame the line break, which is what Go rejects (`A\n&& B` is two statements).
      this.#tok = newline;
    }
    if (!this.#at('eof')) throw this.#afterOperandError('end of input');
    return node;
  }

  #advance(): void {
    this.#tok = this.#lexer.next();
  }

  // A method rather than `this.#tok.kind === …`, which TypeScript would keep narrowed across `#advance()`.
  #at(kind: Token['kind']): boolean {
    return this.#tok.kind === kind;
  }

  #or(): Node {
    const pos = this.#tok.pos;
    const operands = [this.#and()];
    while (this.#at('||')) {
      this.#advance();
      operands.push(this.#and());
    }
    return operands.length === 1 && operands[0] ? operands[0] : { type: 'or', operands, pos };
  }

  #and(): Node {
    const pos = this.#tok.pos;
    const operands = [this.#unary()];
    while (this.#at('&&')) {
      this.#advance();
      operands.push(this.#unary());
    }
    return operands.length === 1 && operands[0] ? operands[0] : { type: 'and', operands, pos };
  }

  #unary(): Node {
    // A loop rather than recursion, so that thousands of `!` cost neither stack nor a deep tree.
    const pos = this.#tok.pos;
    let negate = false;
    while (this.#at('!')) {
      negate = !negate;
      this.#advance();
    }
    const operand = this.#primary();
    return negate ? { type: 'not', operand, pos } : operand;
  }

  #primary(): Node {
    const tok = this.#tok;
    switch (tok.kind) {
      case '(': {
        if (this.#depth >= MAX_CONDITION_DEPTH) {
          throw new ConditionError(`expression nested too deeply (maximum ${MAX_CONDITION_DEPTH} levels)`, tok.pos);
        }
        this.#depth++;
        this.#advance();
        const inner = this.#or();
        if (!this.#at(')')) throw this.#afterOperandError("')'");
        this.#advance();
        this.#depth--;
        return inner;
      }
      case 'ident':
        return this.#call();
      case 'string':
      case 'number':
        throw new ConditionError(
          `expected a condition, found ${describeToken(tok)}; literals are only allowed as function arguments`,
          tok.pos,
        );
      default:
        throw new ConditionError(`expected operand, found ${describeToken(tok)}`, tok.pos);
    }
  }

  #call(): Node {
    const pos = this.#tok.pos;
    const path = this.#selector();
    const name = path.join('.');
    if (!this.#at('(')) {
      throw new ConditionError(
        `expected a condition, found identifier '${name}'; conditions are function calls such as Group("admin")`,
        pos,
      );
    }
    this.#advance();
    const args: Arg[] = [];
    while (!this.#at(')')) {
      args.push(this.#arg());
      if (this.#at(',')) {
        // Go accepts a trailing comma before the closing parenthesis.
        this.#advance();
        continue;
      }
      if (this.#at(')')) break;
      if (this.#at('newline')) {
        throw new ConditionError("missing ',' before newline in argument list", this.#tok.pos);
      }
      throw new ConditionError(`missing ',' or ')' in argument list, found ${describeToken(this.#tok)}`, this.#tok.pos);
    }
    const closePos = this.#tok.pos;
    this.#advance();
    return { type: 'call', name, args, pos, closePos };
  }

  #selector(): string[] {
    const path = [this.#tok.value];
    this.#advance();
    while (this.#at('.')) {
      this.#advance();
      const tok = this.#tok;
      if (tok.kind !== 'ident')
        throw new ConditionError(`expected identifier after '.', found ${describeToken(tok)}`, tok.pos);
      path.push(tok.value);
      this.#advance();
    }
    return path;
  }

  #arg(): Arg {
    const tok = this.#tok;
    switch (tok.kind) {
      case 'string':
      case 'number':
        this.#advance();
        return { kind: tok.kind, value: tok.value, pos: tok.pos };
      case 'ident': {
        const path = this.#selector();
        // Upstream would pass the nested predicate as a value and silently never match; an error is kinder.
        if (this.#at('(')) {
          throw new ConditionError('function calls are not allowed as arguments', tok.pos);
        }
        return { kind: 'selector', path, pos: tok.pos };
      }
      default:
        throw new ConditionError(
          `expected argument (a string, a number, true or false), found ${describeToken(tok)}`,
          tok.pos,
        );
    }
  }

  /** The error for a token that cannot follow a complete operand, where `expected` could have. */
  #afterOperandError(expected: string): ConditionError {
    const tok = this.#tok;
    if (tok.kind === 'operator') {
      const hint =
        tok.text === '&' ? "; did you mean '&&'?" : tok.text === '|' ? "; did you mean '||'?" : ' (only &&, || and !)';
      return new ConditionError(`operator '${tok.text}' is not supported${hint}`, tok.pos);
    }
    if (tok.kind === 'newline') {
      return new ConditionError(
        `unexpected newline, expected '&&', '||' or ${expected} (a line break may follow an operator, not precede it)`,
        tok.pos,
      );
    }
    return new ConditionError(`expected '&&', '||' or ${expected}, found ${describeToken(tok)}`, tok.pos);
  }
}
