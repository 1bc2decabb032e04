/**
 * Authorization conditions (upstream §4): the `?if=` / `X-Forward-Auth-If` expressions such as
 * `(Group("managers") || Role("hr")) && !Eq("id", "bad")`, compiled once into a predicate over the session's
 * profile. Syntax errors, unknown functions and wrong arities are all compile-time `ConditionError`s; a compiled
 * predicate never throws.
 */
import { LRUCache } from 'lru-cache';
import { claimValue, type Profile } from '../profile.js';
import { ConditionError } from './errors.js';
import { goStringE, goStringSlice } from './go-values.js';
import { type Arg, MAX_CONDITION_LENGTH, type Node, parseCondition } from './parser.js';

export { ConditionError } from './errors.js';
export { MAX_CONDITION_DEPTH, MAX_CONDITION_LENGTH } from './parser.js';

/** What a condition is evaluated against: the session's profile and the name of the provider that issued it. */
export interface ConditionSubject {
  profile: Profile;
  provider: string;
}

/** A compiled condition. Pure and total: it never throws. */
export type Predicate = (subject: ConditionSubject) => boolean;

/** A resolved argument. Numbers are already in their Go string form; `true`/`false` arrive as strings. */
interface Value {
  kind: 'string' | 'number';
  value: string;
}

type FunctionDef =
  | { arity: 0; build: () => Predicate }
  | { arity: 1; build: (a: Value) => Predicate }
  | { arity: 2; build: (a: Value, b: Value) => Predicate };

const never: Predicate = () => false;

/** `ClaimEqual`: both sides stringified the Go way and compared exactly; absent or non-scalar claims never match. */
function claimEqual(claim: Value, expected: Value): Predicate {
  // Upstream type-asserts the claim name to a string, so `Eq(1, "x")` compiles but can never match.
  if (claim.kind !== 'string') return never;
  const name = claim.value;
  const want = expected.value;
  return ({ profile, provider }) => {
    const current = claimValue(profile, provider, name);
    // An absent additional claim must not read as "" (which would make `Eq("missing", "")` true).
    if (current === undefined || current === null) return false;
    return goStringE(current) === want;
  };
}

/** `ClaimContains`: the claim as a list (arrays element-wise, strings split on whitespace) holds the exact value. */
function claimContains(claim: Value, expected: Value): Predicate {
  if (claim.kind !== 'string') return never;
  const name = claim.value;
  const want = expected.value;
  return ({ profile, provider }) => goStringSlice(claimValue(profile, provider, name)).includes(want);
}

function memberOf(listClaim: 'groups' | 'roles'): (name: Value) => Predicate {
  return ({ value }) => {
    if (value === '') return never;
    return ({ profile, provider }) => {
      const list = claimValue(profile, provider, listClaim);
      return Array.isArray(list) && list.includes(value);
    };
  };
}

const emailVerified: Predicate = ({ profile, provider }) =>
  claimValue(profile, provider, 'email') !== '' && claimValue(profile, provider, 'email_verified') === true;

// A Map, not an object literal, so that names like `constructor` or `__proto__` are simply unknown. Names are
// case-sensitive, as in upstream.
const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map<string, FunctionDef>([
  ['ClaimEqual', { arity: 2, build: claimEqual }],
  ['Eq', { arity: 2, build: claimEqual }],
  ['ClaimContains', { arity: 2, build: claimContains }],
  ['Cont', { arity: 2, build: claimContains }],
  ['Group', { arity: 1, build: memberOf('groups') }],
  ['Role', { arity: 1, build: memberOf('roles') }],
  ['EmailVerified', { arity: 0, build: () => emailVerified }],
]);

/** The function names conditions may call (documented in docs/conditions.md; its test checks each appears). */
export const CONDITION_FUNCTION_NAMES: readonly string[] = [...FUNCTIONS.keys()];

function resolveArg(arg: Arg): Value {
  if (arg.kind !== 'selector') return { kind: arg.kind, value: arg.value };
  // Upstream's identifier hook accepts exactly the bare words true and false, as the strings "true"/"false".
  const [only, ...rest] = arg.path;
  if ((only === 'true' || only === 'false') && rest.length === 0) return { kind: 'string', value: only };
  throw new ConditionError(
    `invalid selector '${arg.path.join('.')}': only true and false may be unquoted; quote claim names, e.g. "id"`,
    arg.pos,
  );
}

function compileCall(node: Extract<Node, { type: 'call' }>): Predicate {
  // Same order as upstream: the function, then its arguments, then the argument count.
  const def = FUNCTIONS.get(node.name);
  if (def === undefined) throw new ConditionError(`unsupported function: ${node.name}`, node.pos);
  const values = node.args.map(resolveArg);
  const extra = node.args[def.arity];
  if (extra !== undefined) {
    throw new ConditionError(
      `Call with too many input arguments: ${node.name} takes ${def.arity}, got ${node.args.length}`,
      extra.pos,
    );
  }
  const tooFew = (): ConditionError =>
    new ConditionError(
      `Call with too few input arguments: ${node.name} takes ${def.arity}, got ${node.args.length}`,
      node.closePos,
    );
  const [a, b] = values;
  switch (def.arity) {
    case 0:
      return def.build();
    case 1:
      if (a === undefined) throw tooFew();
      return def.build(a);
    case 2:
      if (a === undefined || b === undefined) throw tooFew();
      return def.build(a, b);
  }
}

function compileNode(node: Node): Predicate {
  switch (node.type) {
    case 'and': {
      const operands = node.operands.map(compileNode);
      return (subject) => operands.every((p) => p(subject));
    }
    case 'or': {
      const operands = node.operands.map(compileNode);
      return (subject) => operands.some((p) => p(subject));
    }
    case 'not': {
      const operand = compileNode(node.operand);
      return (subject) => !operand(subject);
    }
    case 'call':
      return compileCall(node);
  }
}

/**
 * Compiles a condition into a predicate.
 *
 * Work is linear in the length of the source, which is capped at {@link MAX_CONDITION_LENGTH}; nesting is capped at
 * {@link MAX_CONDITION_DEPTH}. Any malformed input, however hostile, ends in a `ConditionError`.
 *
 * @throws ConditionError with the offending position on syntax errors, unsupported functions or operators, bare
 *   identifiers other than `true`/`false` ("invalid selector"), wrong arity, or a breached limit.
 */
export function compileCondition(source: string): Predicate {
  return compileNode(parseCondition(source));
}

type CacheEntry = { ok: true; predicate: Predicate } | { ok: false; error: ConditionError };

/**
 * Bounded (LRU) cache of compiled predicates keyed by the exact source string, so that the conditions of every
 * Traefik router are compiled once. Compile errors are cached too: a misconfigured router otherwise recompiles its
 * broken condition on every request.
 */
export class ConditionCache {
  readonly #cache: LRUCache<string, CacheEntry>;

  /** @param maxEntries how many distinct sources to keep; the least recently used one is evicted first. */
  constructor(maxEntries = 1000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.#cache = new LRUCache({ max: maxEntries });
  }

  /** Number of cached sources (successes and errors). */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * The predicate for `source`, compiled on first use; the same function object is returned while it stays cached.
   *
   * @throws ConditionError as {@link compileCondition} does (the same error object for a cached failure).
   */
  compile(source: string): Predicate {
    const hit = this.#cache.get(source);
    if (hit !== undefined) {
      if (hit.ok) return hit.predicate;
      throw hit.error;
    }
    let entry: CacheEntry;
    try {
      entry = { ok: true, predicate: compileCondition(source) };
    } catch (err) {
      if (!(err instanceof ConditionError)) throw err;
      entry = { ok: false, error: err };
    }
    // Over-long sources fail instantly anyway; keeping them would let a client pin megabytes of keys in memory.
    if (source.length <= MAX_CONDITION_LENGTH) this.#cache.set(source, entry);
    if (entry.ok) return entry.predicate;
    throw entry.error;
  }
}
