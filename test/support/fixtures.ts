/**
 * A tiny, independent byte-level DICOM builder for tests: it writes elements by hand (no use of the
 * library's writer), so that reader tests do not check the library against itself.
 */
export interface RawElementOptions {
  explicit?: boolean;
  littleEndian?: boolean;
}

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
export const UNDEFINED_LENGTH = 0xffffffff;

/** One element: tag header, VR (explicit), length (or UNDEFINED_LENGTH via `length`), value. */
export function element(
  tag: number,
  vr: string,
  value: Buffer | string,
  opts: RawElementOptions & { length?: number } = {},
): Buffer {
  const le = opts.littleEndian ?? true;
  const explicit = opts.explicit ?? true;
  const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const len = opts.length ?? v.length;
  const head = [u16(tag >>> 16, le), u16(tag & 0xffff, le)];
  if (!explicit) head.push(u32(len, le));
  else if (LONG.has(vr)) head.push(Buffer.from(vr, 'latin1'), Buffer.alloc(2), u32(len, le));
  else head.push(Buffer.from(vr, 'latin1'), u16(len, le));
  return Buffer.concat([...head, v]);
}

export function item(
  content: Buffer,
  opts: { undefinedLength?: boolean; littleEndian?: boolean } = {},
): Buffer {
  const le = opts.littleEndian ?? true;
  const head = Buffer.concat([
    u16(0xfffe, le),
    u16(0xe000, le),
    u32(opts.undefinedLength ? UNDEFINED_LENGTH : content.length, le),
  ]);
  const tail = opts.undefinedLength
    ? Buffer.concat([u16(0xfffe, le), u16(0xe00d, le), u32(0, le)])
    : Buffer.alloc(0);
  return Buffer.concat([head, content, tail]);
}

export function sequenceDelimiter(le = true): Buffer {
  return Buffer.concat([u16(0xfffe, le), u16(0xe0dd, le), u32(0, le)]);
}

/** A sequence element holding the given encoded items. */
export function sequence(
  tag: number,
  items: Buffer[],
  opts: RawElementOptions & { undefinedLength?: boolean } = {},
): Buffer {
  const le = opts.littleEndian ?? true;
  const body = Buffer.concat(items);
  if (opts.undefinedLength) {
    return Buffer.concat([
      element(tag, 'SQ', body, { ...opts, length: UNDEFINED_LENGTH }),
      sequenceDelimiter(le),
    ]);
  }
  return element(tag, 'SQ', body, opts);
}

/** Text padded to even length with a space (or NUL for UI). */
export function text(s: string, pad = ' '): string {
  return s.length % 2 ? s + pad : s;
}

/** A Part 10 file around an encoded data set: zero preamble, DICM, meta group with group length. */
export function part10(
  dataset: Buffer,
  transferSyntaxUid: string,
  sopClass = '1.2.840.10008.5.1.4.1.1.7',
  sopInstance = '1.2.3.4',
): Buffer {
  const metaBody = Buffer.concat([
    element(0x00020001, 'OB', Buffer.from([0, 1])),
    element(0x00020002, 'UI', text(sopClass, '\0')),
    element(0x00020003, 'UI', text(sopInstance, '\0')),
    element(0x00020010, 'UI', text(transferSyntaxUid, '\0')),
    element(0x00020012, 'UI', text('1.2.3.4.5', '\0')),
  ]);
  const groupLength = element(0x00020000, 'UL', u32(metaBody.length, true));
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, metaBody, dataset]);
}

/** A small deterministic PRNG (mulberry32) for fuzz tests that can be replayed from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
