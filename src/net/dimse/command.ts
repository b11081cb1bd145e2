/**
 * DIMSE command sets (PS3.7 6.3 and Annex E): the group 0000 elements of every request and response,
 * always encoded in Implicit VR Little Endian with the Command Group Length first.
 */
import { Dataset } from '../../dicom/dataset.js';
import type { DicomParseError } from '../../dicom/errors.js';
import { parseDicom } from '../../dicom/reader.js';
import { formatTag, type Tag } from '../../dicom/tag.js';
import { ImplicitVRLittleEndian } from '../../dicom/transfer-syntax.js';
import { writeDataset } from '../../dicom/writer.js';

/** Command Field values (PS3.7 E.1-1). */
export const CommandField = {
  C_STORE_RQ: 0x0001,
  C_STORE_RSP: 0x8001,
  C_GET_RQ: 0x0010,
  C_GET_RSP: 0x8010,
  C_FIND_RQ: 0x0020,
  C_FIND_RSP: 0x8020,
  C_MOVE_RQ: 0x0021,
  C_MOVE_RSP: 0x8021,
  C_ECHO_RQ: 0x0030,
  C_ECHO_RSP: 0x8030,
  N_EVENT_REPORT_RQ: 0x0100,
  N_EVENT_REPORT_RSP: 0x8100,
  N_GET_RQ: 0x0110,
  N_GET_RSP: 0x8110,
  N_SET_RQ: 0x0120,
  N_SET_RSP: 0x8120,
  N_ACTION_RQ: 0x0130,
  N_ACTION_RSP: 0x8130,
  N_CREATE_RQ: 0x0140,
  N_CREATE_RSP: 0x8140,
  N_DELETE_RQ: 0x0150,
  N_DELETE_RSP: 0x8150,
  C_CANCEL_RQ: 0x0fff,
} as const;

const FIELD_NAMES = new Map<number, string>(
  Object.entries(CommandField).map(([k, v]) => [v, k.replace(/_/g, '-')]),
);

export function commandFieldName(field: number): string {
  return FIELD_NAMES.get(field) ?? `0x${field.toString(16).padStart(4, '0')}`;
}

export function isResponse(field: number): boolean {
  return (field & 0x8000) !== 0;
}

/** Command Data Set Type (0000,0800): this value means "no data set follows"; any other means one does. */
export const NO_DATA_SET = 0x0101;

/** Priority (0000,0700). */
export const Priority = { MEDIUM: 0x0000, HIGH: 0x0001, LOW: 0x0002 } as const;

/** A decoded command set: the fields PS3.7 defines, each optional as the message types differ. */
export interface Command {
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  affectedSopClassUid?: string;
  requestedSopClassUid?: string;
  affectedSopInstanceUid?: string;
  requestedSopInstanceUid?: string;
  priority?: number;
  /** True when a data set follows the command. */
  hasDataSet: boolean;
  status?: number;
  moveDestination?: string;
  moveOriginatorApplicationEntityTitle?: string;
  moveOriginatorMessageId?: number;
  numberOfRemainingSuboperations?: number;
  numberOfCompletedSuboperations?: number;
  numberOfFailedSuboperations?: number;
  numberOfWarningSuboperations?: number;
  offendingElement?: Tag[];
  errorComment?: string;
  errorId?: number;
  eventTypeId?: number;
  actionTypeId?: number;
  attributeIdentifierList?: Tag[];
  /**
   * Elements of the command set that PS3.7 does not define, kept as received and sent as given: Conquest's
   * server-command channel puts its text in (9999,0300)/(9999,0400) of a C-ECHO (and answers in (9999,0401)).
   */
  extra?: Dataset;
}

type Field = { tag: Tag; key: keyof Command; vr: 'UI' | 'US' | 'AE' | 'LO' | 'AT' };

/** The command elements in tag order (PS3.7 E.1-1); group length and data set type are handled apart. */
const FIELDS: readonly Field[] = [
  { tag: 0x00000002, key: 'affectedSopClassUid', vr: 'UI' },
  { tag: 0x00000003, key: 'requestedSopClassUid', vr: 'UI' },
  { tag: 0x00000100, key: 'commandField', vr: 'US' },
  { tag: 0x00000110, key: 'messageId', vr: 'US' },
  { tag: 0x00000120, key: 'messageIdBeingRespondedTo', vr: 'US' },
  { tag: 0x00000600, key: 'moveDestination', vr: 'AE' },
  { tag: 0x00000700, key: 'priority', vr: 'US' },
  { tag: 0x00000900, key: 'status', vr: 'US' },
  { tag: 0x00000901, key: 'offendingElement', vr: 'AT' },
  { tag: 0x00000902, key: 'errorComment', vr: 'LO' },
  { tag: 0x00000903, key: 'errorId', vr: 'US' },
  { tag: 0x00001000, key: 'affectedSopInstanceUid', vr: 'UI' },
  { tag: 0x00001001, key: 'requestedSopInstanceUid', vr: 'UI' },
  { tag: 0x00001002, key: 'eventTypeId', vr: 'US' },
  { tag: 0x00001005, key: 'attributeIdentifierList', vr: 'AT' },
  { tag: 0x00001008, key: 'actionTypeId', vr: 'US' },
  { tag: 0x00001020, key: 'numberOfRemainingSuboperations', vr: 'US' },
  { tag: 0x00001021, key: 'numberOfCompletedSuboperations', vr: 'US' },
  { tag: 0x00001022, key: 'numberOfFailedSuboperations', vr: 'US' },
  { tag: 0x00001023, key: 'numberOfWarningSuboperations', vr: 'US' },
  { tag: 0x00001030, key: 'moveOriginatorApplicationEntityTitle', vr: 'AE' },
  { tag: 0x00001031, key: 'moveOriginatorMessageId', vr: 'US' },
];

const DATA_SET_TYPE: Tag = 0x00000800;

/** A command set that cannot be understood: the association answers with a failure or an abort. */
export class DimseError extends Error {
  override readonly name = 'DimseError';
  constructor(
    message: string,
    /** The DIMSE status to answer with, when the command could be identified. */
    readonly status = 0xc000,
  ) {
    super(message);
  }
}

/**
 * The command set in Implicit VR Little Endian, group length first (PS3.7 6.3.1). Written directly: one is
 * encoded per DIMSE message, and going through a Dataset cost more than sending a small image.
 */
export function encodeCommand(cmd: Command): Buffer {
  if (cmd.extra) return encodeViaDataset(cmd);
  const values: { tag: Tag; bytes: Buffer }[] = [];
  const typeAt = FIELDS.findIndex((f) => f.tag > DATA_SET_TYPE);
  FIELDS.forEach((f, i) => {
    if (i === typeAt) values.push({ tag: DATA_SET_TYPE, bytes: us(cmd.hasDataSet ? 0x0000 : NO_DATA_SET) });
    const v = cmd[f.key];
    if (v === undefined) return;
    values.push({ tag: f.tag, bytes: fieldBytes(f.vr, v as number | string | Tag[]) });
  });
  let body = 0;
  for (const v of values) body += 8 + v.bytes.length;
  const out = Buffer.allocUnsafe(12 + body);
  out.writeUInt32LE(0x00000000, 0); // (0000,0000) UL: tag, 32-bit length, value
  out.writeUInt32LE(4, 4);
  out.writeUInt32LE(body, 8);
  let at = 12;
  for (const v of values) {
    out.writeUInt16LE(v.tag >>> 16, at);
    out.writeUInt16LE(v.tag & 0xffff, at + 2);
    out.writeUInt32LE(v.bytes.length, at + 4);
    v.bytes.copy(out, at + 8);
    at += 8 + v.bytes.length;
  }
  return out;
}

function us(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16LE(n & 0xffff, 0);
  return b;
}

/** A value padded to even length: UI with NUL, the text VRs with a space (PS3.5 6.2). */
function fieldBytes(vr: Field['vr'], v: number | string | Tag[]): Buffer {
  if (vr === 'US') return us(v as number);
  if (vr === 'AT') {
    const tags = v as Tag[];
    const b = Buffer.allocUnsafe(4 * tags.length);
    tags.forEach((t, i) => {
      b.writeUInt16LE(t >>> 16, 4 * i);
      b.writeUInt16LE(t & 0xffff, 4 * i + 2);
    });
    return b;
  }
  const text = String(v);
  const odd = text.length % 2 === 1;
  const b = Buffer.alloc(text.length + (odd ? 1 : 0), vr === 'UI' ? 0 : 0x20);
  b.write(text, 0, 'latin1');
  return b;
}

/** With elements beyond PS3.7's (Conquest's server commands), through a Dataset. */
function encodeViaDataset(cmd: Command): Buffer {
  const ds = new Dataset();
  for (const f of FIELDS) {
    const v = cmd[f.key];
    if (v === undefined) continue;
    if (f.vr === 'US') ds.setNumbers(f.tag, v as number, 'US');
    else if (f.vr === 'AT') ds.setAttributeTags(f.tag, v as Tag[]);
    else ds.setStrings(f.tag, v as string, f.vr);
  }
  ds.setNumbers(DATA_SET_TYPE, cmd.hasDataSet ? 0x0000 : NO_DATA_SET, 'US');
  if (cmd.extra) for (const e of cmd.extra.elements()) if (!ds.has(e.tag) && e.tag !== 0) ds.set(e);
  const body = writeDataset(ds, ImplicitVRLittleEndian);
  const head = Buffer.allocUnsafe(12);
  head.writeUInt32LE(0x00000000, 0); // (0000,0000) UL, Implicit VR: tag then 32-bit length
  head.writeUInt32LE(4, 4);
  head.writeUInt32LE(body.length, 8);
  return Buffer.concat([head, body]);
}

export function decodeCommand(bytes: Buffer): Command {
  let ds: Dataset;
  try {
    ds = parseDicom(bytes, { transferSyntax: ImplicitVRLittleEndian.uid }).dataset;
  } catch (e) {
    throw new DimseError(`command set cannot be read: ${(e as DicomParseError).message}`);
  }
  const field = ds.number(0x00000100);
  if (field === undefined) throw new DimseError('command set without Command Field (0000,0100)');
  const cmd: Command = {
    commandField: field,
    hasDataSet: (ds.number(DATA_SET_TYPE) ?? NO_DATA_SET) !== NO_DATA_SET,
  };
  for (const f of FIELDS) {
    if (f.key === 'commandField' || !ds.has(f.tag)) continue;
    try {
      const value =
        f.vr === 'US' ? ds.number(f.tag) : f.vr === 'AT' ? ds.attributeTags(f.tag) : (ds.string(f.tag) ?? '');
      (cmd as unknown as Record<string, unknown>)[f.key] = value;
    } catch (e) {
      throw new DimseError(`command element ${formatTag(f.tag)} cannot be read: ${(e as Error).message}`);
    }
  }
  for (const e of ds.elements()) {
    if (e.tag === 0 || e.tag === DATA_SET_TYPE || KNOWN_TAGS.has(e.tag)) continue;
    cmd.extra ??= new Dataset();
    cmd.extra.set(e);
  }
  return cmd;
}

const KNOWN_TAGS: ReadonlySet<Tag> = new Set(FIELDS.map((f) => f.tag));
