/**
 * DICOM Upper Layer PDUs (PS3.8 9.3): encoding and decoding, pure functions over Buffers. The types and
 * constants are in `pdu-types.ts`, the A-ASSOCIATE items in `pdu-items.ts`, the stream framer in
 * `pdu-framer.ts`; all are re-exported here.
 *
 * Decoding never reads past its buffer and checks every declared length before use; malformed input ends in
 * a PduDecodeError naming what is wrong and where (byte offset in the PDU, header included). Items of
 * unknown types are kept (`unknownItems`), not fatal. P-DATA-TF fragments are views of the PDU buffer.
 */
import {
  aeTitle,
  append,
  decodePresentationContextAc,
  decodePresentationContextRq,
  decodeUserInformation,
  encodeItem,
  encodePresentationContextAc,
  encodePresentationContextRq,
  encodeUserInformation,
  fail,
  forEachItem,
  itemText,
  latin1,
} from './pdu-items.js';
import {
  type AAssociateAc,
  type AAssociateRq,
  AbortReason,
  ItemType,
  type PDataTf,
  PDU_HEADER_LENGTH,
  type Pdu,
  PduDecodeError,
  PduEncodeError,
  PduTypeCode,
  type PresentationContextAc,
  type PresentationContextRq,
  type PresentationDataValue,
  pduTypeName,
  type UnknownItem,
  type UserInformation,
} from './pdu-types.js';

export * from './pdu-framer.js';
export * from './pdu-types.js';

/** Length of the fixed part of the A-ASSOCIATE-RQ/AC body, before the variable items (PS3.8 table 9-11). */
const ASSOCIATE_FIXED_LENGTH = 68;

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** Decodes one complete PDU, its 6-byte header included; the buffer must hold exactly that PDU. */
export function decodePdu(buf: Buffer): Pdu {
  if (buf.length < PDU_HEADER_LENGTH) {
    throw new PduDecodeError(`PDU header truncated: ${buf.length} of 6 bytes`, buf.length);
  }
  const type = buf[0]!;
  if (pduTypeName(type) === undefined) {
    throw new PduDecodeError(`unknown PDU type ${hexByte(type)}`, 0, AbortReason.UnrecognizedPdu);
  }
  const length = buf.readUInt32BE(2);
  const available = buf.length - PDU_HEADER_LENGTH;
  if (available < length) {
    throw new PduDecodeError(
      `PDU truncated: its length is ${length} but ${available} bytes follow the header`,
      buf.length,
    );
  }
  if (available > length) {
    throw new PduDecodeError(
      `${available - length} bytes after the end of the PDU (PDU length ${length})`,
      PDU_HEADER_LENGTH + length,
    );
  }
  return decodePduBody(type, buf.subarray(PDU_HEADER_LENGTH));
}

/**
 * Decodes a PDU from its type code and body (the bytes after the 6-byte header, exactly the PDU length), as
 * PduFramer delivers them. Error offsets are still PDU offsets (body offset + 6).
 */
export function decodePduBody(type: number, body: Buffer): Pdu {
  switch (type) {
    case PduTypeCode['A-ASSOCIATE-RQ']:
      return decodeAssociate(body, true);
    case PduTypeCode['A-ASSOCIATE-AC']:
      return decodeAssociate(body, false);
    case PduTypeCode['A-ASSOCIATE-RJ']:
      fixedLength(body, 'A-ASSOCIATE-RJ');
      return { type: 'A-ASSOCIATE-RJ', result: body[1]!, source: body[2]!, reason: body[3]! };
    case PduTypeCode['P-DATA-TF']:
      return decodePDataTf(body);
    case PduTypeCode['A-RELEASE-RQ']:
      fixedLength(body, 'A-RELEASE-RQ');
      return { type: 'A-RELEASE-RQ' };
    case PduTypeCode['A-RELEASE-RP']:
      fixedLength(body, 'A-RELEASE-RP');
      return { type: 'A-RELEASE-RP' };
    case PduTypeCode['A-ABORT']:
      fixedLength(body, 'A-ABORT');
      return { type: 'A-ABORT', source: body[2]!, reason: body[3]! };
    default:
      throw new PduDecodeError(`unknown PDU type ${hexByte(type)}`, 0, AbortReason.UnrecognizedPdu);
  }
}

function hexByte(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

function fixedLength(body: Buffer, name: string): void {
  if (body.length !== 4) fail(`${name} PDU length ${body.length}, not 4`, -4);
}

function decodePDataTf(body: Buffer): PDataTf {
  const end = body.length;
  if (end === 0) fail('P-DATA-TF without presentation data value items', 0);
  const presentationDataValues: PresentationDataValue[] = [];
  let p = 0;
  while (p < end) {
    if (end - p < 4) fail(`PDV item header truncated (${end - p} bytes left)`, p);
    const length = body.readUInt32BE(p);
    if (length < 2)
      fail(`PDV item length ${length} too short (context id and message control header need 2)`, p);
    if (length > end - p - 4)
      fail(`PDV item length ${length} beyond the end of the PDU (${end - p - 4} bytes left)`, p);
    const id = body[p + 4]!;
    if ((id & 1) === 0) fail(`PDV presentation context id ${id} is even`, p + 4);
    const control = body[p + 5]!;
    presentationDataValues.push({
      presentationContextId: id,
      isCommand: (control & 1) !== 0,
      isLast: (control & 2) !== 0,
      data: body.subarray(p + 6, p + 4 + length),
    });
    p += 4 + length;
  }
  return { type: 'P-DATA-TF', presentationDataValues };
}

function decodeAssociate(body: Buffer, isRq: boolean): AAssociateRq | AAssociateAc {
  const name = isRq ? 'A-ASSOCIATE-RQ' : 'A-ASSOCIATE-AC';
  if (body.length < ASSOCIATE_FIXED_LENGTH) {
    fail(
      `${name} PDU length ${body.length}, shorter than its ${ASSOCIATE_FIXED_LENGTH}-byte fixed fields`,
      -4,
    );
  }
  const protocolVersion = body.readUInt16BE(0);
  const calledAETitle = aeTitle(body, 4);
  const callingAETitle = aeTitle(body, 20);
  let applicationContextName: string | undefined;
  let userInformation: UserInformation | undefined;
  const pcsRq: PresentationContextRq[] = [];
  const pcsAc: PresentationContextAc[] = [];
  let unknownItems: UnknownItem[] | undefined;
  forEachItem(body, ASSOCIATE_FIXED_LENGTH, body.length, `the ${name}`, (type, vs, ve, p) => {
    switch (type) {
      case ItemType.ApplicationContext:
        if (applicationContextName !== undefined) fail('more than one application context item', p);
        applicationContextName = itemText(body, vs, ve);
        return;
      case ItemType.PresentationContextRq:
        if (!isRq)
          fail(
            'A-ASSOCIATE-RQ presentation context item in an A-ASSOCIATE-AC',
            p,
            AbortReason.UnexpectedPduParameter,
          );
        pcsRq.push(decodePresentationContextRq(body, vs, ve, p));
        return;
      case ItemType.PresentationContextAc:
        if (isRq)
          fail(
            'A-ASSOCIATE-AC presentation context item in an A-ASSOCIATE-RQ',
            p,
            AbortReason.UnexpectedPduParameter,
          );
        pcsAc.push(decodePresentationContextAc(body, vs, ve, p));
        return;
      case ItemType.UserInformation:
        if (userInformation !== undefined) fail('more than one user information item', p);
        userInformation = decodeUserInformation(body, vs, ve);
        return;
      default:
        unknownItems = append(unknownItems, { type, data: Buffer.from(body.subarray(vs, ve)) });
    }
  });
  if (applicationContextName === undefined)
    fail(`${name} without an application context item`, ASSOCIATE_FIXED_LENGTH);
  if ((isRq ? pcsRq : pcsAc).length === 0)
    fail(`${name} without a presentation context item`, ASSOCIATE_FIXED_LENGTH);
  const common = {
    protocolVersion,
    calledAETitle,
    callingAETitle,
    applicationContextName,
    // The standard requires the item; a peer that omits it is reported with an empty one (no maximum length,
    // no implementation class UID) and the association layer decides.
    userInformation: userInformation ?? {},
  };
  const pdu: AAssociateRq | AAssociateAc = isRq
    ? { type: 'A-ASSOCIATE-RQ', ...common, presentationContexts: pcsRq }
    : { type: 'A-ASSOCIATE-AC', ...common, presentationContexts: pcsAc };
  if (unknownItems) pdu.unknownItems = unknownItems;
  return pdu;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

function header(type: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(PDU_HEADER_LENGTH);
  b[0] = type;
  b[1] = 0;
  b.writeUInt32BE(length, 2);
  return b;
}

function byte(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff)
    throw new PduEncodeError(`${what} ${n} is not a byte (0-255)`);
  return n;
}

/** A PDU whose body is four bytes: reserved, then three one-byte fields (RJ, RELEASE, ABORT). */
function fixedPdu(type: number, b1: number, b2: number, b3: number): Buffer {
  return Buffer.from([type, 0, 0, 0, 0, 4, 0, b1, b2, b3]);
}

/** A 16-byte AE title field, space-padded. */
function aeTitleField(title: string, what: string): Buffer {
  if (title.length === 0 || title.length > 16) {
    throw new PduEncodeError(`${what} "${title}" of wrong length ${title.length} (1-16 characters)`);
  }
  if (title.trim() === '') throw new PduEncodeError(`${what} is all spaces`);
  return latin1(title.padEnd(16, ' '), what);
}

function encodeAssociate(pdu: AAssociateRq | AAssociateAc): Buffer {
  const isRq = pdu.type === 'A-ASSOCIATE-RQ';
  const version = pdu.protocolVersion;
  if (!Number.isInteger(version) || version < 0 || version > 0xffff) {
    throw new PduEncodeError(`protocol version ${version} does not fit 16 bits`);
  }
  const fixed = Buffer.alloc(ASSOCIATE_FIXED_LENGTH);
  fixed.writeUInt16BE(version, 0);
  aeTitleField(pdu.calledAETitle, 'called AE title').copy(fixed, 4);
  aeTitleField(pdu.callingAETitle, 'calling AE title').copy(fixed, 20);
  const parts: Buffer[] = [
    fixed,
    encodeItem(
      ItemType.ApplicationContext,
      [latin1(pdu.applicationContextName, 'application context name')],
      'application context',
    ),
  ];
  if (isRq) for (const pc of pdu.presentationContexts) parts.push(encodePresentationContextRq(pc));
  else for (const pc of pdu.presentationContexts) parts.push(encodePresentationContextAc(pc));
  parts.push(encodeUserInformation(pdu.userInformation));
  for (const it of pdu.unknownItems ?? [])
    parts.push(encodeItem(byte(it.type, 'unknown item type'), [it.data], 'unknown item'));
  let length = 0;
  for (const p of parts) length += p.length;
  return Buffer.concat([header(isRq ? 0x01 : 0x02, length), ...parts], PDU_HEADER_LENGTH + length);
}

/** Encodes any PDU into one Buffer (a P-DATA-TF's fragments are copied: see encodePDataTf to avoid it). */
export function encodePdu(pdu: Pdu): Buffer {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return encodeAssociate(pdu);
    case 'A-ASSOCIATE-RJ':
      return fixedPdu(
        0x03,
        byte(pdu.result, 'result'),
        byte(pdu.source, 'source'),
        byte(pdu.reason, 'reason'),
      );
    case 'P-DATA-TF':
      return Buffer.concat(encodePDataTf(pdu.presentationDataValues));
    case 'A-RELEASE-RQ':
      return fixedPdu(0x05, 0, 0, 0);
    case 'A-RELEASE-RP':
      return fixedPdu(0x06, 0, 0, 0);
    case 'A-ABORT':
      return fixedPdu(0x07, 0, byte(pdu.source, 'source'), byte(pdu.reason, 'reason'));
    default:
      throw new PduEncodeError(`unknown PDU type ${(pdu as { type: unknown }).type}`);
  }
}

/**
 * Encodes a P-DATA-TF as [PDU header + first PDV header, data, PDV header, data, ...] so that fragments are
 * never copied: write the list with writev (or cork/write/uncork). All headers share one small allocation.
 */
export function encodePDataTf(pdvs: readonly PresentationDataValue[]): Buffer[] {
  const n = pdvs.length;
  if (n === 0) throw new PduEncodeError('P-DATA-TF needs at least one presentation data value');
  let length = 0;
  for (let i = 0; i < n; i++) length += 6 + pdvs[i]!.data.length;
  if (length > 0xffffffff) throw new PduEncodeError(`P-DATA-TF of ${length} bytes does not fit a PDU`);
  const headers = Buffer.allocUnsafe(PDU_HEADER_LENGTH + 6 * n);
  headers[0] = 0x04;
  headers[1] = 0;
  headers.writeUInt32BE(length, 2);
  const out: Buffer[] = new Array(2 * n);
  for (let i = 0; i < n; i++) {
    const pdv = pdvs[i]!;
    const id = pdv.presentationContextId;
    if (!Number.isInteger(id) || id < 1 || id > 255 || (id & 1) === 0) {
      throw new PduEncodeError(`presentation context id ${id} is not odd in 1-255`);
    }
    const h = PDU_HEADER_LENGTH + 6 * i;
    headers.writeUInt32BE(pdv.data.length + 2, h);
    headers[h + 4] = id;
    headers[h + 5] = (pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0);
    out[2 * i] = headers.subarray(i === 0 ? 0 : h, h + 6);
    out[2 * i + 1] = pdv.data;
  }
  return out;
}
