/** What every command's arguments share: Conquest's comma-separated fields, and the error a wrong one gives. */

/** A command or switch used wrongly: the message says how to use it (dgate exits with 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Splits command arguments on commas; empty trailing fields are kept as '' so positions stay meaningful. */
export function splitArgs(args: string, max?: number): string[] {
  if (args === '') return [];
  const parts = args.split(',');
  if (max !== undefined && parts.length > max)
    return [...parts.slice(0, max - 1), parts.slice(max - 1).join(',')];
  return parts;
}
