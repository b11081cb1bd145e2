/**
 * How Conquest's configuration commands split their arguments (ServerTask in dgate.cpp): the first field
 * ends at the first comma, and the last field (a printf format, a value, a name) is everything after the
 * comma before it, commas included.
 */
import { UsageError } from '../arguments.js';

/** `head,rest` → [head, rest]; without a comma → [args, undefined]. */
export function splitFirst(args: string): [string, string | undefined] {
  const comma = args.indexOf(',');
  return comma < 0 ? [args, undefined] : [args.slice(0, comma), args.slice(comma + 1)];
}

/** An index argument (0-based): a non-negative integer, or a UsageError showing the command's form. */
export function parseIndex(text: string, form: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new UsageError(`${form}: the index must be a number (0 and up), not '${text}'`);
  return Number(t);
}

/** A required argument, or a UsageError showing the form. */
export function required(value: string | undefined, what: string, form: string): string {
  if (value === undefined || value === '') throw new UsageError(`${form}: ${what} is missing`);
  return value;
}
