import { type RawBuilder, sql } from 'kysely';

/** An inviter's username, or their email when they have none, for sorting and searching. */
export const INVITER_NAME = sql`(select coalesce(u.username, u.email) from users u where u.id = invitations.inviter_user_id)`;
/** The number (`seq`) of the user the invitation is addressed to, by address; null when none. */
export const INVITEE_SEQ = sql`(select u.seq from users u where u.email_canonical = invitations.email_canonical)`;

export type PredicateField = 'inviter_name' | 'invitee_seq' | 'accepted';
export type PredicateValue = string | number | boolean;

/**
 * A boolean condition over invitations, for wire formats whose clients send logic (CVAT's
 * JSON-Logic `filter`): comparisons on a few fields joined by and/or/not.
 */
export type InvitationPredicate =
  | { and: InvitationPredicate[] }
  | { or: InvitationPredicate[] }
  | { not: InvitationPredicate }
  | { field: PredicateField; op: '=' | '<' | '<=' | '>' | '>='; value: PredicateValue }
  | { field: PredicateField; op: 'in'; values: PredicateValue[] }
  | { field: 'inviter_name'; op: 'contains'; value: string }
  | { field: PredicateField; op: 'present' };

const FALSE = sql<boolean>`1 = 0`;
const TRUE = sql<boolean>`1 = 1`;

function column(field: Exclude<PredicateField, 'accepted'>) {
  return field === 'inviter_name' ? INVITER_NAME : INVITEE_SEQ;
}

/** `accepted` is the status: accepted is final, so no clock is needed. */
function acceptedIs(value: PredicateValue): RawBuilder<boolean> {
  return value === true ? sql<boolean>`(status = 'accepted')` : sql<boolean>`(status <> 'accepted')`;
}

export function predicateSql(p: InvitationPredicate): RawBuilder<boolean> {
  if ('and' in p)
    return p.and.length ? sql<boolean>`(${sql.join(p.and.map(predicateSql), sql` and `)})` : TRUE;
  if ('or' in p) return p.or.length ? sql<boolean>`(${sql.join(p.or.map(predicateSql), sql` or `)})` : FALSE;
  if ('not' in p) return sql<boolean>`(not ${predicateSql(p.not)})`;
  if (p.field === 'accepted') {
    switch (p.op) {
      case 'present':
        return TRUE;
      case 'in':
        return p.values.length ? sql<boolean>`(${sql.join(p.values.map(acceptedIs), sql` or `)})` : FALSE;
      case '=':
        return acceptedIs(p.value);
      default:
        // Booleans order false < true, as in SQL and Python.
        return orderedBoolean(p.op, p.value as boolean);
    }
  }
  const value = column(p.field);
  switch (p.op) {
    case 'present':
      return sql<boolean>`(${value} is not null)`;
    case 'in':
      return p.values.length ? sql<boolean>`(${value} in (${sql.join(p.values)}))` : FALSE;
    case 'contains': {
      const escaped = p.value.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
      return sql<boolean>`(lower(${value}) like ${`%${escaped}%`} escape '\\')`;
    }
    default:
      return sql<boolean>`(${value} ${sql.raw(p.op)} ${p.value})`;
  }
}

function orderedBoolean(op: '<' | '<=' | '>' | '>=', value: boolean): RawBuilder<boolean> {
  const accepted = acceptedIs(true);
  const notAccepted = acceptedIs(false);
  if (op === '<') return value ? notAccepted : FALSE;
  if (op === '<=') return value ? TRUE : notAccepted;
  if (op === '>') return value ? FALSE : accepted;
  return value ? accepted : TRUE;
}
