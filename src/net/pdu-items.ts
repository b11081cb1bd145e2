/**
 * The items of the A-ASSOCIATE-RQ/AC variable field (PS3.8 9.3.2.x, 9.3.3.x) and the User Information
 * sub-items (PS3.7 Annex D.3.3): encoding, and decoding with every length checked against its enclosing item.
 * Decoding works on the PDU body (after the 6-byte header); positions in errors are reported in PDU bytes.
 * Buffers decoded here are copies: association PDUs are small, and a view would pin the whole socket chunk.
 */
import {
  type AsynchronousOperationsWindow,
  ItemType,
  PDU_HEADER_LENGTH,
  PduDecodeError,
  PduEncodeError,
  type PresentationContextAc,
  type PresentationContextRq,
  type ScpScuRoleSelection,
  type SopClassCommonExtendedNegotiation,
  type SopClassExtendedNegotiation,
  type UnknownItem,
  type UserIdentityNegotiationRq,
  type UserInformation,
} from './pdu-types.js';

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** Throws a PduDecodeError at a body position (reported as a PDU offset). */
export function fail(message: string, bodyPos: number, abortReason?: number): never {
  throw new PduDecodeError(message, bodyPos + PDU_HEADER_LENGTH, abortReason);
}

function hexByte(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** A UID or other text field of an item: no padding expected, a trailing NUL (or space) tolerated. */
export function itemText(buf: Buffer, start: number, end: number): string {
  while (end > start && (buf[end - 1] === 0 || buf[end - 1] === 0x20)) end--;
  return buf.toString('latin1', start, end);
}

/** A 16-byte AE title field: leading and trailing spaces are not significant (trailing NULs tolerated). */
export function aeTitle(buf: Buffer, start: number): string {
  let end = start + 16;
  while (start < end && buf[start] === 0x20) start++;
  while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0)) end--;
  return buf.toString('latin1', start, end);
}

/** Appends to a list created on first use (decoded lists are absent when empty). */
export function append<T>(list: T[] | undefined, value: T): T[] {
  if (list === undefined) return [value];
  list.push(value);
  return list;
}

function copy(buf: Buffer, start: number, end: number): Buffer {
  return Buffer.from(buf.subarray(start, end));
}

/**
 * Calls `each(type, valueStart, valueEnd, itemPos)` for every item with a 4-byte header (type, reserved,
 * 16-bit length) in [start, end), checking each header and length against `end`.
 */
export function forEachItem(
  buf: Buffer,
  start: number,
  end: number,
  where: string,
  each: (type: number, valueStart: number, valueEnd: number, itemPos: number) => void,
): void {
  let p = start;
  while (p < end) {
    if (end - p < 4) fail(`item header truncated in ${where} (${end - p} bytes left)`, p);
    const type = buf[p]!;
    const length = buf.readUInt16BE(p + 2);
    if (length > end - p - 4) {
      fail(
        `item ${hexByte(type)} length ${length} beyond the end of ${where} (${end - p - 4} bytes left)`,
        p,
      );
    }
    each(type, p + 4, p + 4 + length, p);
    p += 4 + length;
  }
}

/** The presentation context item of an A-ASSOCIATE-RQ (0x20), its value in [start, end). */
export function decodePresentationContextRq(
  buf: Buffer,
  start: number,
  end: number,
  itemPos: number,
): PresentationContextRq {
  if (end - start < 4) fail(`presentation context item of length ${end - start}, shorter than 4`, itemPos);
  const id = buf[start]!;
  if ((id & 1) === 0) fail(`presentation context id ${id} is even`, start);
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  let unknownItems: UnknownItem[] | undefined;
  forEachItem(buf, start + 4, end, `presentation context ${id}`, (type, vs, ve, p) => {
    if (type === ItemType.AbstractSyntax) {
      if (abstractSyntax !== undefined)
        fail(`presentation context ${id} has more than one abstract syntax`, p);
      abstractSyntax = itemText(buf, vs, ve);
    } else if (type === ItemType.TransferSyntax) {
      transferSyntaxes.push(itemText(buf, vs, ve));
    } else {
      unknownItems = append(unknownItems, { type, data: copy(buf, vs, ve) });
    }
  });
  if (abstractSyntax === undefined)
    fail(`presentation context ${id} has no abstract syntax sub-item`, itemPos);
  if (transferSyntaxes.length === 0)
    fail(`presentation context ${id} has no transfer syntax sub-item`, itemPos);
  const pc: PresentationContextRq = { id, abstractSyntax, transferSyntaxes };
  if (unknownItems) pc.unknownItems = unknownItems;
  return pc;
}

/** The presentation context item of an A-ASSOCIATE-AC (0x21), its value in [start, end). */
export function decodePresentationContextAc(
  buf: Buffer,
  start: number,
  end: number,
  itemPos: number,
): PresentationContextAc {
  if (end - start < 4) fail(`presentation context item of length ${end - start}, shorter than 4`, itemPos);
  const id = buf[start]!;
  if ((id & 1) === 0) fail(`presentation context id ${id} is even`, start);
  const result = buf[start + 2]!;
  let transferSyntax: string | undefined;
  let unknownItems: UnknownItem[] | undefined;
  forEachItem(buf, start + 4, end, `presentation context ${id}`, (type, vs, ve, p) => {
    if (type === ItemType.TransferSyntax) {
      if (transferSyntax !== undefined)
        fail(`presentation context ${id} has more than one transfer syntax`, p);
      transferSyntax = itemText(buf, vs, ve);
    } else {
      unknownItems = append(unknownItems, { type, data: copy(buf, vs, ve) });
    }
  });
  if (transferSyntax === undefined && result === 0) {
    fail(`accepted presentation context ${id} has no transfer syntax sub-item`, itemPos);
  }
  const pc: PresentationContextAc = { id, result, transferSyntax: transferSyntax ?? '' };
  if (unknownItems) pc.unknownItems = unknownItems;
  return pc;
}

/** The User Information item (0x50), its value in [start, end). */
export function decodeUserInformation(buf: Buffer, start: number, end: number): UserInformation {
  const ui: UserInformation = {};
  const once = (present: boolean, what: string, p: number) => {
    if (present) fail(`more than one ${what} sub-item`, p);
  };
  forEachItem(buf, start, end, 'the user information item', (type, vs, ve, p) => {
    const length = ve - vs;
    switch (type) {
      case ItemType.MaximumLength:
        once(ui.maxPduLength !== undefined, 'maximum length', p);
        if (length !== 4) fail(`maximum length sub-item of length ${length}, not 4`, p);
        ui.maxPduLength = buf.readUInt32BE(vs);
        return;
      case ItemType.ImplementationClassUid:
        once(ui.implementationClassUid !== undefined, 'implementation class UID', p);
        ui.implementationClassUid = itemText(buf, vs, ve);
        return;
      case ItemType.AsynchronousOperationsWindow:
        once(ui.asynchronousOperationsWindow !== undefined, 'asynchronous operations window', p);
        if (length !== 4) fail(`asynchronous operations window sub-item of length ${length}, not 4`, p);
        ui.asynchronousOperationsWindow = {
          maxOperationsInvoked: buf.readUInt16BE(vs),
          maxOperationsPerformed: buf.readUInt16BE(vs + 2),
        };
        return;
      case ItemType.ScpScuRoleSelection: {
        if (length < 4) fail(`SCP/SCU role selection sub-item of length ${length}, shorter than 4`, p);
        const uidLength = buf.readUInt16BE(vs);
        if (uidLength + 4 !== length) {
          fail(
            `SCP/SCU role selection: UID length ${uidLength} does not match sub-item length ${length}`,
            vs,
          );
        }
        ui.scpScuRoleSelections = append(ui.scpScuRoleSelections, {
          sopClassUid: itemText(buf, vs + 2, vs + 2 + uidLength),
          scuRole: buf[ve - 2] !== 0,
          scpRole: buf[ve - 1] !== 0,
        });
        return;
      }
      case ItemType.ImplementationVersionName:
        once(ui.implementationVersionName !== undefined, 'implementation version name', p);
        ui.implementationVersionName = itemText(buf, vs, ve);
        return;
      case ItemType.SopClassExtendedNegotiation: {
        if (length < 2)
          fail(`SOP class extended negotiation sub-item of length ${length}, shorter than 2`, p);
        const uidLength = buf.readUInt16BE(vs);
        if (uidLength > length - 2) {
          fail(`SOP class extended negotiation: UID length ${uidLength} beyond the sub-item (${length})`, vs);
        }
        ui.sopClassExtendedNegotiations = append(ui.sopClassExtendedNegotiations, {
          sopClassUid: itemText(buf, vs + 2, vs + 2 + uidLength),
          serviceClassApplicationInformation: copy(buf, vs + 2 + uidLength, ve),
        });
        return;
      }
      case ItemType.SopClassCommonExtendedNegotiation:
        ui.sopClassCommonExtendedNegotiations = append(
          ui.sopClassCommonExtendedNegotiations,
          decodeCommonExtended(buf, vs, ve),
        );
        return;
      case ItemType.UserIdentityRq:
        once(ui.userIdentity !== undefined, 'user identity negotiation', p);
        ui.userIdentity = decodeUserIdentityRq(buf, vs, ve, p);
        return;
      case ItemType.UserIdentityAc: {
        once(ui.userIdentityResponse !== undefined, 'user identity negotiation response', p);
        if (length < 2)
          fail(`user identity negotiation (AC) sub-item of length ${length}, shorter than 2`, p);
        const responseLength = buf.readUInt16BE(vs);
        if (responseLength !== length - 2) {
          fail(
            `user identity server response length ${responseLength} does not match sub-item length ${length}`,
            vs,
          );
        }
        ui.userIdentityResponse = { serverResponse: copy(buf, vs + 2, ve) };
        return;
      }
      default:
        ui.unknownItems = append(ui.unknownItems, { type, data: copy(buf, vs, ve) });
    }
  });
  return ui;
}

/** Reads a 16-bit length and that many bytes within [p, end); returns the field's end. */
function lengthPrefixed(buf: Buffer, p: number, end: number, what: string): number {
  if (end - p < 2) fail(`${what} length missing`, p);
  const length = buf.readUInt16BE(p);
  if (length > end - p - 2)
    fail(`${what} length ${length} beyond its sub-item (${end - p - 2} bytes left)`, p);
  return p + 2 + length;
}

function decodeCommonExtended(buf: Buffer, start: number, end: number): SopClassCommonExtendedNegotiation {
  const what = 'SOP class common extended negotiation';
  const sopEnd = lengthPrefixed(buf, start, end, `${what}: SOP class UID`);
  const svcEnd = lengthPrefixed(buf, sopEnd, end, `${what}: service class UID`);
  const relEnd = lengthPrefixed(buf, svcEnd, end, `${what}: related general SOP class identification`);
  const relatedGeneralSopClassUids: string[] = [];
  for (let p = svcEnd + 2; p < relEnd; ) {
    const uidEnd = lengthPrefixed(buf, p, relEnd, `${what}: related general SOP class UID`);
    relatedGeneralSopClassUids.push(itemText(buf, p + 2, uidEnd));
    p = uidEnd;
  }
  // Bytes after the related identification are reserved (PS3.7 D.3.3.6): not tested.
  return {
    sopClassUid: itemText(buf, start + 2, sopEnd),
    serviceClassUid: itemText(buf, sopEnd + 2, svcEnd),
    relatedGeneralSopClassUids,
  };
}

function decodeUserIdentityRq(
  buf: Buffer,
  start: number,
  end: number,
  itemPos: number,
): UserIdentityNegotiationRq {
  if (end - start < 4)
    fail(`user identity negotiation sub-item of length ${end - start}, shorter than 4`, itemPos);
  const primaryEnd = lengthPrefixed(buf, start + 2, end, 'user identity primary field');
  // The secondary-field-length is always present by the standard; a sub-item ending after the primary
  // field (seen from some implementations for types other than 2) is read as an empty secondary field.
  const secondaryEnd =
    primaryEnd === end ? end : lengthPrefixed(buf, primaryEnd, end, 'user identity secondary field');
  if (secondaryEnd !== end)
    fail(`${end - secondaryEnd} bytes after the user identity secondary field`, secondaryEnd);
  return {
    userIdentityType: buf[start]!,
    positiveResponseRequested: buf[start + 1] !== 0,
    primaryField: copy(buf, start + 4, primaryEnd),
    secondaryField: primaryEnd === end ? Buffer.alloc(0) : copy(buf, primaryEnd + 2, secondaryEnd),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** Text as ISO 8859-1 bytes (UIDs, AE titles, names are ISO 646; Latin-1 keeps decoded values round-trip). */
export function latin1(text: string, what: string): Buffer {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) throw new PduEncodeError(`${what} has a character that is not ISO 8859-1`);
  }
  return Buffer.from(text, 'latin1');
}

function u8(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff)
    throw new PduEncodeError(`${what} ${n} is not a byte (0-255)`);
  return n;
}

function u16(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff)
    throw new PduEncodeError(`${what} ${n} does not fit 16 bits`);
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}

function u32(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new PduEncodeError(`${what} ${n} does not fit 32 bits`);
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** A field preceded by its 16-bit length. */
function withLength16(value: Buffer, what: string): Buffer[] {
  return [u16(value.length, `${what} length`), value];
}

/** An item: type, reserved (or sub-item version), 16-bit item length, value. */
export function encodeItem(type: number, parts: Buffer[], what: string, secondByte = 0): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  if (length > 0xffff)
    throw new PduEncodeError(`${what} of ${length} bytes does not fit an item (65535 at most)`);
  const header = Buffer.allocUnsafe(4);
  header[0] = type;
  header[1] = secondByte;
  header.writeUInt16BE(length, 2);
  return Buffer.concat([header, ...parts], 4 + length);
}

function encodeUnknown(items: UnknownItem[] | undefined, out: Buffer[]): void {
  for (const it of items ?? [])
    out.push(encodeItem(u8(it.type, 'unknown item type'), [it.data], 'unknown item'));
}

function presentationContextId(id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > 255 || (id & 1) === 0) {
    throw new PduEncodeError(`presentation context id ${id} is not odd in 1-255`);
  }
  return id;
}

export function encodePresentationContextRq(pc: PresentationContextRq): Buffer {
  const id = presentationContextId(pc.id);
  if (pc.transferSyntaxes.length === 0)
    throw new PduEncodeError(`presentation context ${id} has no transfer syntax`);
  const parts: Buffer[] = [
    Buffer.from([id, 0, 0, 0]),
    encodeItem(ItemType.AbstractSyntax, [latin1(pc.abstractSyntax, 'abstract syntax')], 'abstract syntax'),
  ];
  for (const ts of pc.transferSyntaxes) {
    parts.push(encodeItem(ItemType.TransferSyntax, [latin1(ts, 'transfer syntax')], 'transfer syntax'));
  }
  encodeUnknown(pc.unknownItems, parts);
  return encodeItem(ItemType.PresentationContextRq, parts, `presentation context ${id}`);
}

export function encodePresentationContextAc(pc: PresentationContextAc): Buffer {
  const id = presentationContextId(pc.id);
  const parts: Buffer[] = [
    Buffer.from([id, 0, u8(pc.result, 'presentation context result'), 0]),
    encodeItem(ItemType.TransferSyntax, [latin1(pc.transferSyntax, 'transfer syntax')], 'transfer syntax'),
  ];
  encodeUnknown(pc.unknownItems, parts);
  return encodeItem(ItemType.PresentationContextAc, parts, `presentation context ${id}`);
}

function encodeRoleSelection(r: ScpScuRoleSelection): Buffer {
  return encodeItem(
    ItemType.ScpScuRoleSelection,
    [
      ...withLength16(latin1(r.sopClassUid, 'SOP class UID'), 'SOP class UID'),
      Buffer.from([r.scuRole ? 1 : 0, r.scpRole ? 1 : 0]),
    ],
    'SCP/SCU role selection',
  );
}

function encodeAsyncWindow(w: AsynchronousOperationsWindow): Buffer {
  return encodeItem(
    ItemType.AsynchronousOperationsWindow,
    [
      u16(w.maxOperationsInvoked, 'max operations invoked'),
      u16(w.maxOperationsPerformed, 'max operations performed'),
    ],
    'asynchronous operations window',
  );
}

function encodeExtended(n: SopClassExtendedNegotiation): Buffer {
  return encodeItem(
    ItemType.SopClassExtendedNegotiation,
    [
      ...withLength16(latin1(n.sopClassUid, 'SOP class UID'), 'SOP class UID'),
      n.serviceClassApplicationInformation,
    ],
    'SOP class extended negotiation',
  );
}

function encodeCommonExtended(n: SopClassCommonExtendedNegotiation): Buffer {
  const related: Buffer[] = [];
  for (const uid of n.relatedGeneralSopClassUids) {
    related.push(
      ...withLength16(latin1(uid, 'related general SOP class UID'), 'related general SOP class UID'),
    );
  }
  const relatedBytes = Buffer.concat(related);
  return encodeItem(
    ItemType.SopClassCommonExtendedNegotiation,
    [
      ...withLength16(latin1(n.sopClassUid, 'SOP class UID'), 'SOP class UID'),
      ...withLength16(latin1(n.serviceClassUid, 'service class UID'), 'service class UID'),
      ...withLength16(relatedBytes, 'related general SOP class identification'),
    ],
    'SOP class common extended negotiation',
    0, // Sub-Item-version
  );
}

function encodeUserIdentityRq(u: UserIdentityNegotiationRq): Buffer {
  return encodeItem(
    ItemType.UserIdentityRq,
    [
      Buffer.from([u8(u.userIdentityType, 'user identity type'), u.positiveResponseRequested ? 1 : 0]),
      ...withLength16(u.primaryField, 'user identity primary field'),
      ...withLength16(u.secondaryField, 'user identity secondary field'),
    ],
    'user identity negotiation',
  );
}

/** The User Information item (0x50), sub-items in the order of their type codes, unknown ones last. */
export function encodeUserInformation(ui: UserInformation): Buffer {
  const parts: Buffer[] = [];
  if (ui.maxPduLength !== undefined) {
    parts.push(
      encodeItem(ItemType.MaximumLength, [u32(ui.maxPduLength, 'maximum length')], 'maximum length'),
    );
  }
  if (ui.implementationClassUid !== undefined) {
    const uid = latin1(ui.implementationClassUid, 'implementation class UID');
    parts.push(encodeItem(ItemType.ImplementationClassUid, [uid], 'implementation class UID'));
  }
  if (ui.asynchronousOperationsWindow) parts.push(encodeAsyncWindow(ui.asynchronousOperationsWindow));
  for (const r of ui.scpScuRoleSelections ?? []) parts.push(encodeRoleSelection(r));
  if (ui.implementationVersionName !== undefined) {
    const name = latin1(ui.implementationVersionName, 'implementation version name');
    parts.push(encodeItem(ItemType.ImplementationVersionName, [name], 'implementation version name'));
  }
  for (const n of ui.sopClassExtendedNegotiations ?? []) parts.push(encodeExtended(n));
  for (const n of ui.sopClassCommonExtendedNegotiations ?? []) parts.push(encodeCommonExtended(n));
  if (ui.userIdentity) parts.push(encodeUserIdentityRq(ui.userIdentity));
  if (ui.userIdentityResponse) {
    const response = withLength16(ui.userIdentityResponse.serverResponse, 'user identity server response');
    parts.push(encodeItem(ItemType.UserIdentityAc, response, 'user identity negotiation response'));
  }
  encodeUnknown(ui.unknownItems, parts);
  return encodeItem(ItemType.UserInformation, parts, 'user information item');
}
