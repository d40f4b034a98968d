import type {
  InvitationPredicate,
  PredicateField,
  PredicateValue,
} from '../../invitations/invitation.predicate.ts';
import type { OffsetOrder } from '../../invitations/invitation.query.ts';
import { CvatError } from './cvat.mapping.ts';

/** CVAT's invitation filter fields (`filter_fields`), as rsvp columns with their value types. */
const FIELDS: Record<string, { field: PredicateField; type: 'string' | 'number' | 'boolean' }> = {
  owner: { field: 'inviter_name', type: 'string' },
  user_id: { field: 'invitee_seq', type: 'number' },
  accepted: { field: 'accepted', type: 'boolean' },
};

/** CVAT's invitation `ordering_fields`: its filter fields and `created_date`; `-` reverses. */
export const SORTS: Record<string, OffsetOrder> = {
  created_date: 'create_time',
  '-created_date': '-create_time',
  owner: 'inviter_username',
  '-owner': '-inviter_username',
  user_id: 'invitee_seq',
  '-user_id': '-invitee_seq',
  accepted: 'accepted',
  '-accepted': '-accepted',
};

const COMPARISONS = { '==': '=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

const invalid = (message: string) => new CvatError(400, { filter: [message] });

/**
 * The `filter` parameter, JSON-Logic as CVAT's `JsonLogicFilter` reads it: `and`, `or`, `!`,
 * `!!`, a bare `var` (the field is set), `==`, `<`, `<=`, `>`, `>=`, `in` (the field among a
 * list, or a text within the field), and the between forms `<`/`<=` with three arguments.
 * Anything else is refused with 400 rather than ignored.
 */
export function compileFilter(raw: string): InvitationPredicate {
  let logic: unknown;
  try {
    logic = JSON.parse(raw);
  } catch {
    throw invalid('Invalid JSON.');
  }
  return compile(logic, 0);
}

function compile(rule: unknown, depth: number): InvitationPredicate {
  if (depth > 20) throw invalid('The filter is nested too deeply.');
  if (!isObject(rule) || Object.keys(rule).length !== 1)
    throw invalid('Each rule is an object with one operation.');
  const [op, args] = Object.entries(rule)[0]!;
  const list = Array.isArray(args) ? args : [args];
  switch (op) {
    case 'and':
    case 'or': {
      if (!Array.isArray(args) || args.length === 0) throw invalid(`"${op}" takes a list of rules.`);
      const parts = args.map((arg) => compile(arg, depth + 1));
      return op === 'and' ? { and: parts } : { or: parts };
    }
    case '!':
      return { not: compile(unwrap(args), depth + 1) };
    case '!!':
      return compile(unwrap(args), depth + 1);
    case 'var':
      return { field: fieldOf(args).field, op: 'present' };
    case 'in':
      return compileIn(list);
    case '==':
    case '<':
    case '<=':
    case '>':
    case '>=':
      if ((op === '<' || op === '<=') && list.length === 3) return between(op, list);
      if (list.length !== 2) throw invalid(`"${op}" takes a variable and a value.`);
      return comparison(op, list[0], list[1]);
    default:
      throw invalid(`filter: ${op} operation is not implemented.`);
  }
}

/** `{"!": [rule]}` and `{"!": rule}` mean the same. */
function unwrap(args: unknown): unknown {
  return Array.isArray(args) && args.length === 1 ? args[0] : args;
}

function fieldOf(ref: unknown) {
  const name = isObject(ref) ? ref.var : ref;
  const field = typeof name === 'string' ? FIELDS[name] : undefined;
  if (!field) {
    throw invalid(`Unsupported filter field: ${String(name)}. Use owner, user_id or accepted.`);
  }
  return field;
}

function valueFor(field: (typeof FIELDS)[string], value: unknown): PredicateValue {
  if (field.type === 'number' && typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (field.type === 'string' && typeof value === 'string') return value;
  if (field.type === 'boolean' && typeof value === 'boolean') return value;
  throw invalid(
    `A ${field.type === 'number' ? 'whole number' : field.type} is expected, not ${JSON.stringify(value)}.`,
  );
}

function comparison(op: keyof typeof COMPARISONS, variable: unknown, value: unknown): InvitationPredicate {
  if (!isObject(variable)) throw invalid(`"${op}" takes a variable first.`);
  const field = fieldOf(variable);
  return { field: field.field, op: COMPARISONS[op], value: valueFor(field, value) };
}

function between(op: '<' | '<=', [low, variable, high]: unknown[]): InvitationPredicate {
  const below = op === '<' ? '>' : '>=';
  return { and: [comparison(below, variable, low), comparison(op, variable, high)] };
}

function compileIn(list: unknown[]): InvitationPredicate {
  if (list.length !== 2) throw invalid('"in" takes two arguments.');
  const [first, second] = list;
  if (isObject(first)) {
    const field = fieldOf(first);
    if (!Array.isArray(second)) throw invalid('"in" with a variable first takes a list of values.');
    return { field: field.field, op: 'in', values: second.map((value) => valueFor(field, value)) };
  }
  const field = fieldOf(second);
  if (field.field !== 'inviter_name' || typeof first !== 'string') {
    throw invalid('"in" with a text first looks for it within owner.');
  }
  return { field: 'inviter_name', op: 'contains', value: first };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
