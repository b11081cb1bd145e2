/**
 * This implementation's identity in Part 10 meta headers and association negotiation (PS3.7 D.3.3.2).
 * The class UID is a UUID-derived UID under 2.25 (PS3.5 B.2), fixed for the product; the version name
 * changes with releases (at most 16 characters).
 */
import { randomUUID } from 'node:crypto';

export const IMPLEMENTATION_CLASS_UID = '2.25.197842428530522632367646235989016218384';
export const IMPLEMENTATION_VERSION_NAME = 'CONQUESTTS_010';

/**
 * A new globally unique UID. Without a prefix: 2.25 followed by a random UUID as a decimal integer (PS3.5
 * B.2). With one (dicom.ini UIDPrefix, the site's own root): prefix.milliseconds.random, which is unique
 * under that root; when that would pass 64 characters the 2.25 form is used.
 */
export function generateUid(prefix?: string): string {
  const root = prefix?.trim().replace(/\.+$/, '');
  if (root && /^[0-9]+(\.[0-9]+)*$/.test(root)) {
    const random = BigInt(`0x${randomUUID().replace(/-/g, '').slice(0, 12)}`).toString();
    const uid = `${root}.${Date.now()}.${random}`;
    if (uid.length <= 64) return uid;
  }
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}
