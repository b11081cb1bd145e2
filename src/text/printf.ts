/**
 * C's printf, for the format arguments of Conquest's commands (`--patientfinder:srv|str|fmt|file` and the
 * like pass the user's format straight to fprintf). Conversions d i u x X o c s f e g %, with flags `-+ 0#`,
 * width and precision (`*` takes them from the arguments, as C does). Arguments are consumed in order;
 * where C would read past them (undefined behaviour there) an empty string or 0 is used. A string given to
 * a numeric conversion is read as atoi/atof would; a number given to %s is printed in decimal.
 */

export type PrintfArg = string | number;

const SPEC = /%([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|L|z|j|t)?([diuxXocsfFeEgG%])/g;

function toNumber(arg: PrintfArg | undefined): number {
  if (typeof arg === 'number') return arg;
  const m = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(arg ?? '');
  return m ? Number(m[0]) : 0;
}

function toInt(arg: PrintfArg | undefined): number {
  const n = toNumber(arg);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function pad(body: string, sign: string, flags: string, width: number, numeric: boolean): string {
  const len = sign.length + body.length;
  if (width <= len) return sign + body;
  if (flags.includes('-')) return (sign + body).padEnd(width);
  if (numeric && flags.includes('0')) return sign + body.padStart(width - sign.length, '0');
  return (sign + body).padStart(width);
}

function signOf(negative: boolean, flags: string): string {
  if (negative) return '-';
  if (flags.includes('+')) return '+';
  if (flags.includes(' ')) return ' ';
  return '';
}

function integer(
  conv: string,
  value: number,
  flags: string,
  precision: number | undefined,
): [string, string] {
  const negative = value < 0 && conv !== 'u' && conv !== 'x' && conv !== 'X' && conv !== 'o';
  let v = Math.abs(value);
  // Unsigned conversions of a negative value print its 32-bit two's complement, as C's int does.
  if (value < 0 && !negative) v = value >>> 0;
  let body =
    conv === 'x'
      ? v.toString(16)
      : conv === 'X'
        ? v.toString(16).toUpperCase()
        : v.toString(conv === 'o' ? 8 : 10);
  if (precision !== undefined) body = precision === 0 && v === 0 ? '' : body.padStart(precision, '0');
  if (flags.includes('#') && v !== 0 && (conv === 'x' || conv === 'X'))
    body = (conv === 'x' ? '0x' : '0X') + body;
  if (flags.includes('#') && conv === 'o' && !body.startsWith('0')) body = `0${body}`;
  return [signOf(negative, flags), body];
}

function float(conv: string, value: number, precision: number | undefined): string {
  const p = precision ?? 6;
  const abs = Math.abs(value);
  if (!Number.isFinite(abs)) return Number.isNaN(abs) ? 'nan' : 'inf';
  const lower = conv.toLowerCase();
  let body: string;
  if (lower === 'f') body = abs.toFixed(p);
  else if (lower === 'e') body = abs.toExponential(p).replace(/e([-+])(\d)$/, 'e$10$2');
  else {
    // %g: the shorter of %e and %f with `p` significant digits, trailing zeros removed.
    const digits = p === 0 ? 1 : p;
    const exp = abs === 0 ? 0 : Math.floor(Math.log10(abs));
    body =
      exp < -4 || exp >= digits
        ? abs.toExponential(digits - 1).replace(/e([-+])(\d)$/, 'e$10$2')
        : abs.toFixed(Math.max(0, digits - 1 - exp));
    body = body.replace(/\.?0+(e|$)/, '$1');
  }
  return conv === lower ? body : body.toUpperCase();
}

/** Formats like C's sprintf(format, ...args). */
export function printf(format: string, args: readonly PrintfArg[]): string {
  let next = 0;
  const take = (): PrintfArg | undefined => args[next++];
  return format.replace(SPEC, (_all, flagText: string, widthText, precText, _len, conv: string) => {
    if (conv === '%') return '%';
    let flags = flagText;
    let width = widthText === '*' ? toInt(take()) : widthText ? Number(widthText) : 0;
    if (width < 0) {
      flags += '-';
      width = -width;
    }
    let precision: number | undefined =
      precText === undefined ? undefined : precText === '*' ? toInt(take()) : Number(precText || '0');
    if (precision !== undefined && precision < 0) precision = undefined;
    const arg = take();
    if (conv === 's') {
      const text = typeof arg === 'number' ? String(arg) : (arg ?? '');
      return pad(precision === undefined ? text : text.slice(0, precision), '', flags, width, false);
    }
    if (conv === 'c') {
      const ch = typeof arg === 'number' ? String.fromCharCode(arg) : (arg ?? '').slice(0, 1);
      return pad(ch, '', flags, width, false);
    }
    if ('diuxXo'.includes(conv)) {
      const [sign, body] = integer(conv, toInt(arg), flags, precision);
      return pad(body, sign, precision === undefined ? flags : flags.replace(/0/g, ''), width, true);
    }
    const value = toNumber(arg);
    return pad(float(conv, value, precision), signOf(value < 0, flags), flags, width, true);
  });
}
