/**
 * Data element tags (PS3.5 7.1). A tag is held as one unsigned 32-bit number, group in the high
 * half, so that tags compare, sort and key maps cheaply.
 */
export type Tag = number;

export function makeTag(group: number, element: number): Tag {
  return ((group << 16) | element) >>> 0;
}

export function tagGroup(tag: Tag): number {
  return tag >>> 16;
}

export function tagElement(tag: Tag): number {
  return tag & 0xffff;
}

/** "(0010,0010)" as DCMTK and the standard print it (upper-case hex). */
export function formatTag(tag: Tag): string {
  return `(${hex4(tag >>> 16)},${hex4(tag & 0xffff)})`;
}

/** "00100010" as DICOM JSON keys it (PS3.18 F.2.1.1). */
export function tagToJsonKey(tag: Tag): string {
  return hex4(tag >>> 16) + hex4(tag & 0xffff);
}

/** Parses "00100010", "0010,0010", "(0010,0010)" or "0x00100010"; undefined when not a tag. */
export function parseTag(text: string): Tag | undefined {
  const m = /^\(?(?:0x)?([0-9a-fA-F]{4}),?([0-9a-fA-F]{4})\)?$/.exec(text.trim());
  if (!m) return undefined;
  return makeTag(Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16));
}

export function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

export function isPrivateGroup(group: number): boolean {
  return (group & 1) === 1 && group > 0x0008 && group !== 0xffff;
}

export function isPrivateTag(tag: Tag): boolean {
  return isPrivateGroup(tag >>> 16);
}

/** (gggg,0010-00FF) in an odd group: reserves a block of private elements (PS3.5 7.8.1). */
export function isPrivateCreatorTag(tag: Tag): boolean {
  const el = tag & 0xffff;
  return isPrivateTag(tag) && el >= 0x0010 && el <= 0x00ff;
}

/** The creator element that reserves a private tag's block: (gggg,00xx) for (gggg,xxyy). */
export function privateCreatorTagFor(tag: Tag): Tag {
  return makeTag(tag >>> 16, (tag & 0xff00) >>> 8);
}

export function isGroupLengthTag(tag: Tag): boolean {
  return (tag & 0xffff) === 0;
}

/** Item, Item Delimitation and Sequence Delimitation (PS3.5 7.5). */
export const ItemTag: Tag = 0xfffee000;
export const ItemDelimitationTag: Tag = 0xfffee00d;
export const SequenceDelimitationTag: Tag = 0xfffee0dd;
