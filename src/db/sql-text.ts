/**
 * Small rewrites of SQL text that the drivers share. They look at quotes only: the SQL they get is built by
 * this program from identifiers and fixed words (values always travel as parameters), or typed by an
 * operator in `--query`.
 */

/**
 * `?` placeholders to PostgreSQL's `$1, $2...`, leaving quoted strings ('...'), quoted identifiers ("...")
 * and text that already uses `$n` untouched.
 */
export function toNumberedParameters(sql: string): string {
  if (!sql.includes('?')) return sql;
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/** Splits text into statements at `;` outside quotes (SQLiteStartup, setup scripts). */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A statement that only reads, and may therefore be sent again after its connection was lost. */
export function isReadOnlyStatement(sql: string): boolean {
  return /^\s*(select|with|show|pragma|explain)\b/i.test(sql);
}
