/**
 * Media types as HTTP writes them (RFC 9110 8.3.1, 12.5.1): `type/subtype; name=value; name="quoted"`.
 * DICOMweb clients differ in whether they quote parameters (`type="application/dicom"` or
 * `type=application/dicom`, `transfer-syntax=*`), so both forms are read; names are case-insensitive,
 * values are kept as written (UIDs and boundaries are case-sensitive).
 */

export interface MediaType {
  /** `type/subtype`, lower-cased. */
  readonly type: string;
  /** Parameters by lower-cased name, values unquoted. */
  readonly params: ReadonlyMap<string, string>;
  /** The q value of an Accept entry (1 when absent). */
  readonly q: number;
}

export class MediaTypeError extends Error {
  override readonly name = 'MediaTypeError';
}

/** Splits at `sep` outside quoted strings. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

/** One media type (a Content-Type header). Throws MediaTypeError when it is not `type/subtype`. */
export function parseMediaType(text: string): MediaType {
  const [head = '', ...rest] = splitOutsideQuotes(text, ';');
  const type = head.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+*-]+\/[a-z0-9!#$&^_.+*-]+$/.test(type))
    throw new MediaTypeError(`"${head.trim().slice(0, 60)}" is not a media type`);
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = unquote(p.slice(eq + 1));
    if (name === 'q') {
      const n = Number(value);
      q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 1;
    } else params.set(name, value);
  }
  return { type, params, q };
}

/**
 * An Accept header as a list of media types, highest q first (stable). An absent or empty header is
 * `*\/*`. Entries that do not parse are skipped (as HTTP servers commonly do).
 */
export function parseAccept(header: string | string[] | undefined): MediaType[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const out: MediaType[] = [];
  for (const entry of splitOutsideQuotes(text, ',')) {
    if (entry.trim() === '') continue;
    try {
      out.push(parseMediaType(entry));
    } catch {
      // a malformed entry offers nothing
    }
  }
  if (out.length === 0) out.push({ type: '*/*', params: new Map(), q: 1 });
  return out.filter((m) => m.q > 0).sort((a, b) => b.q - a.q);
}

/** Whether an Accept entry's type (with wildcards) covers `type`. */
export function acceptsType(entry: MediaType, type: string): boolean {
  if (entry.type === '*/*' || entry.type === type) return true;
  const [major] = type.split('/');
  return entry.type === `${major}/*`;
}
