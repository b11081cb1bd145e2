/**
 * PS3.4 C.2.2.2 attribute matching as Conquest 1.5.0c turns it into SQL (vrtosql.cpp: MakeSafeString and
 * BuildSearchString), but with every value a bound parameter: the SQL text holds only identifiers, operators,
 * placeholders and constant literals.
 *
 * Per column type (IndexedTag.matchType, from dicom.sql):
 * - empty value, or a value of only `*`: universal matching, no condition;
 * - `*` / `?` anywhere: `LIKE` with `*` → `%`, `?` → `_`, and literal `%`, `_` and the escape character
 *   escaped (`ESCAPE '!'`); otherwise `=`;
 * - DT_DATE (and DT_TIME, which Conquest reads as DT_DATE): a `-` makes a range, split at the first `-`:
 *   `A-B` → `>= A AND <= B`, `A-` → `>= A`, `-B` → `<= B` (string comparison, as Conquest's);
 * - DT_UI: a backslash-separated list → `IN (?, ?, ...)`;
 * - DT_MSTR: a single value matches one backslash-separated component of the stored value
 *   (`= v OR LIKE 'v\%' OR LIKE '%\v\%' OR LIKE '%\v'`); a wildcard value is one LIKE on the whole column;
 * - DT_ISTR: `UPPER(col) = UPPER(?)` / `UPPER(col) LIKE UPPER(?)`.
 */
import type { IndexedTag, SqlDialect } from '../db/schema.js';

/** The LIKE escape character (not backslash: backslash is DICOM's value separator and MySQL's default). */
export const LIKE_ESCAPE = '!';

/** Marks a parameter in a fragment; query.ts turns it into `?` or `$n` once the whole statement is known. */
export const PARAM = '\u0001';

export interface SqlFragment {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** What matching needs of a column. */
export type MatchColumn = Pick<IndexedTag, 'matchType' | 'caseInsensitive' | 'multiValued'>;

/**
 * A query value as Conquest reads it (MakeSafeString): `**` becomes `*` (an eFilm habit), ` *` becomes `*`,
 * trailing spaces are dropped.
 */
export function normalizeQueryValue(value: string): string {
  let v = value.replace(/[ \0]+$/, '');
  if (v === '**' || v === ' *') v = '*';
  return v;
}

export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** Escapes a literal for a LIKE pattern with ESCAPE '!'. */
export function escapeLike(literal: string): string {
  return literal.replace(/[!%_]/g, (c) => LIKE_ESCAPE + c);
}

/** A DICOM wildcard value as a LIKE pattern: `*` → `%`, `?` → `_`, everything else literal. */
export function likePattern(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === '*') out += '%';
    else if (ch === '?') out += '_';
    else out += escapeLike(ch);
  }
  return out;
}

function frag(sql: string, ...params: unknown[]): SqlFragment {
  return { sql, params };
}

function or(parts: SqlFragment[]): SqlFragment {
  if (parts.length === 1) return parts[0]!;
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}

/**
 * Wildcard matching as Conquest does it on SQLite, whose LIKE ignores the case of ASCII letters: the same
 * on every dialect, so that a query finds the same objects whatever the database. PostgreSQL's LIKE is
 * case-sensitive (ILIKE is not); MySQL's depends on the collation, and the tables are made with a binary
 * one (exact `=`, accents kept, as SQLite and PostgreSQL compare), so there the case is folded explicitly.
 */
function like(dialect: SqlDialect, col: string): string {
  const esc = `ESCAPE '${LIKE_ESCAPE}'`;
  switch (dialect) {
    case 'postgres':
      return `${col} ILIKE ${PARAM} ${esc}`;
    case 'mysql':
      return `UPPER(${col}) LIKE UPPER(${PARAM}) ${esc}`;
    default:
      return `${col} LIKE ${PARAM} ${esc}`;
  }
}

function single(col: string, c: MatchColumn, v: string, dialect: SqlDialect): SqlFragment {
  if (c.caseInsensitive) {
    return hasWildcard(v)
      ? frag(`UPPER(${col}) LIKE UPPER(${PARAM}) ESCAPE '${LIKE_ESCAPE}'`, likePattern(v))
      : frag(`UPPER(${col}) = UPPER(${PARAM})`, v);
  }
  return hasWildcard(v) ? frag(like(dialect, col), likePattern(v)) : frag(`${col} = ${PARAM}`, v);
}

function multiComponent(col: string, v: string, dialect: SqlDialect): SqlFragment {
  const l = like(dialect, col);
  if (hasWildcard(v)) return frag(l, likePattern(v));
  const e = escapeLike(v);
  return frag(`(${col} = ${PARAM} OR ${l} OR ${l} OR ${l})`, v, `${e}\\%`, `%\\${e}\\%`, `%\\${e}`);
}

export interface MatchOptions {
  /**
   * Read a backslash in the value as a list of alternatives for every column type (for DT_MSTR and DT_UI
   * this is always so). Used for ModalitiesInStudy matched against the series' modalities.
   */
  anyOf?: boolean;
}

/**
 * The condition for one query value on one column expression (already quoted), or undefined for universal
 * matching. The SQL differs per dialect only in how wildcard matching ignores case (see `like`).
 */
export function matchCondition(
  col: string,
  column: MatchColumn,
  value: string,
  dialect: SqlDialect,
  options: MatchOptions = {},
): SqlFragment | undefined {
  const v = normalizeQueryValue(value);
  if (v === '' || /^\*+$/.test(v)) return undefined;
  switch (column.matchType) {
    case 'DT_DATE': {
      const dash = v.indexOf('-');
      if (dash < 0) return single(col, column, v, dialect);
      const from = v.slice(0, dash).trim();
      const to = v.slice(dash + 1).trim();
      if (from && to) return frag(`(${col} >= ${PARAM} AND ${col} <= ${PARAM})`, from, to);
      if (from) return frag(`${col} >= ${PARAM}`, from);
      if (to) return frag(`${col} <= ${PARAM}`, to);
      return undefined;
    }
    case 'DT_UI': {
      const list = v.split('\\').filter((u) => u !== '');
      // Only separators: compared whole, as Conquest does (matches nothing real).
      if (list.length === 0) return frag(`${col} = ${PARAM}`, v);
      if (list.length === 1) return single(col, column, list[0]!, dialect);
      if (list.some(hasWildcard)) return or(list.map((u) => single(col, column, u, dialect)));
      return frag(`${col} IN (${list.map(() => PARAM).join(', ')})`, ...list);
    }
    case 'DT_MSTR': {
      const list = v.split('\\').filter((u) => u !== '');
      if (list.length === 0) return frag(`${col} = ${PARAM}`, v);
      return or(list.map((m) => multiComponent(col, m, dialect)));
    }
    default: {
      if (options.anyOf) {
        const list = v.split('\\').filter((u) => u !== '');
        if (list.length === 0) return frag(`${col} = ${PARAM}`, v);
        return or(list.map((u) => single(col, column, u, dialect)));
      }
      return single(col, column, v, dialect);
    }
  }
}
