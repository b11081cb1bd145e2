/**
 * PDUs (PS3.8 9.3): byte fixtures written out from the standard's layouts (lengths counted by hand, not by
 * our encoder), decoded and compared, and the encoder's output compared to the same bytes; round trips of
 * random PDUs; unknown items; malformed input; a bounded fuzz (seeded); the framer; DCMTK's echoscu as a peer.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, it } from 'node:test';
import {
  type AAssociateAc,
  type AAssociateRq,
  AbortReason,
  AbortSource,
  DICOM_APPLICATION_CONTEXT_NAME,
  decodePdu,
  decodePduBody,
  describeAbort,
  describePresentationContextResult,
  describeRejection,
  encodePDataTf,
  encodePdu,
  type PDataTf,
  type Pdu,
  PduDecodeError,
  PduEncodeError,
  PduFramer,
  PduTypeCode,
  pduTypeName,
  RejectReason,
  RejectResult,
  RejectSource,
  type UserInformation,
} from '../../src/net/pdu.js';
import { prng } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------------------
// Fixture helpers: hex with whitespace ignored; text as its ASCII bytes in hex.

function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

function ascii(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex');
}

const APP = DICOM_APPLICATION_CONTEXT_NAME; // 21 characters
const VERIFICATION = '1.2.840.10008.1.1'; // 17
const IMPLICIT_LE = '1.2.840.10008.1.2'; // 17
const EXPLICIT_LE = '1.2.840.10008.1.2.1'; // 19
const CT = '1.2.840.10008.5.1.4.1.1.2'; // 25
const STORAGE_SERVICE_CLASS = '1.2.840.10008.4.2'; // 17
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1'; // 27
const IMPL_UID = '1.2.3.4.5.6.7.8'; // 15
const FIXED_AE = ascii('STORESCP'.padEnd(16)) + ascii('ECHOSCU'.padEnd(16)) + '00'.repeat(32);

// ---------------------------------------------------------------------------------------------------------
// One fixture per PDU type (PS3.8 tables 9-11 to 9-26)

const RQ_BYTES = hex(
  '01 00 000001c6', // A-ASSOCIATE-RQ, PDU length 454
  '0001 0000', // protocol version 1, reserved
  FIXED_AE, // called AE, calling AE, 32 reserved bytes
  '10 00 0015',
  ascii(APP),
  '20 00 0045 01 00 00 00', // presentation context 1, length 69
  '30 00 0011',
  ascii(VERIFICATION),
  '40 00 0011',
  ascii(IMPLICIT_LE),
  '40 00 0013',
  ascii(EXPLICIT_LE),
  '20 00 0038 03 00 00 00', // presentation context 3, length 56
  '30 00 0019',
  ascii(CT),
  '40 00 0013',
  ascii(EXPLICIT_LE),
  '50 00 00e0', // user information, length 224
  '51 00 0004 00004000', // maximum length 16384
  '52 00 000f',
  ascii(IMPL_UID),
  '53 00 0004 0005 0001', // asynchronous operations window: 5 invoked, 1 performed
  '54 00 001d 0019',
  ascii(CT),
  '01 00', // SCU role yes, SCP role no
  '55 00 000a',
  ascii('CONQUEST_1'),
  '56 00 001e 0019',
  ascii(CT),
  'aabbcc', // service-class-application-information
  '57 00 0054 0019',
  ascii(CT),
  '0011',
  ascii(STORAGE_SERVICE_CLASS),
  '0024 001b',
  ascii(ENHANCED_CT),
  '0005',
  ascii('1.2.3'),
  '58 00 0010 02 01 0004',
  ascii('user'),
  '0006',
  ascii('secret'), // username and passcode, positive response requested
);

const RQ: AAssociateRq = {
  type: 'A-ASSOCIATE-RQ',
  protocolVersion: 1,
  calledAETitle: 'STORESCP',
  callingAETitle: 'ECHOSCU',
  applicationContextName: APP,
  presentationContexts: [
    { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] },
    { id: 3, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
  ],
  userInformation: {
    maxPduLength: 16384,
    implementationClassUid: IMPL_UID,
    asynchronousOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 1 },
    scpScuRoleSelections: [{ sopClassUid: CT, scuRole: true, scpRole: false }],
    implementationVersionName: 'CONQUEST_1',
    sopClassExtendedNegotiations: [{ sopClassUid: CT, serviceClassApplicationInformation: hex('aabbcc') }],
    sopClassCommonExtendedNegotiations: [
      {
        sopClassUid: CT,
        serviceClassUid: STORAGE_SERVICE_CLASS,
        relatedGeneralSopClassUids: [ENHANCED_CT, '1.2.3'],
      },
    ],
    userIdentity: {
      userIdentityType: 2,
      positiveResponseRequested: true,
      primaryField: Buffer.from('user'),
      secondaryField: Buffer.from('secret'),
    },
  },
};

const AC_BYTES = hex(
  '02 00 00000127', // A-ASSOCIATE-AC, PDU length 295
  '0001 0000',
  FIXED_AE,
  '10 00 0015',
  ascii(APP),
  '21 00 001b 01 00 00 00', // context 1 accepted
  '40 00 0013',
  ascii(EXPLICIT_LE),
  '21 00 0008 03 00 04 00', // context 3: transfer-syntaxes-not-supported, empty transfer syntax sub-item
  '40 00 0000',
  '21 00 0019 05 00 03 00', // context 5: abstract-syntax-not-supported, transfer syntax not significant
  '40 00 0011',
  ascii(IMPLICIT_LE),
  '50 00 007e', // user information, length 126
  '51 00 0004 00010000',
  '52 00 000f',
  ascii(IMPL_UID),
  '53 00 0004 0001 0001',
  '54 00 001d 0019',
  ascii(CT),
  '00 01', // accepted roles: SCU no, SCP yes
  '55 00 000a',
  ascii('CONQUEST_1'),
  '56 00 001e 0019',
  ascii(CT),
  'aabbcc',
  '59 00 0006 0004',
  ascii('tokn'), // server response
);

const AC: AAssociateAc = {
  type: 'A-ASSOCIATE-AC',
  protocolVersion: 1,
  calledAETitle: 'STORESCP',
  callingAETitle: 'ECHOSCU',
  applicationContextName: APP,
  presentationContexts: [
    { id: 1, result: 0, transferSyntax: EXPLICIT_LE },
    { id: 3, result: 4, transferSyntax: '' },
    { id: 5, result: 3, transferSyntax: IMPLICIT_LE },
  ],
  userInformation: {
    maxPduLength: 65536,
    implementationClassUid: IMPL_UID,
    asynchronousOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
    scpScuRoleSelections: [{ sopClassUid: CT, scuRole: false, scpRole: true }],
    implementationVersionName: 'CONQUEST_1',
    sopClassExtendedNegotiations: [{ sopClassUid: CT, serviceClassApplicationInformation: hex('aabbcc') }],
    userIdentityResponse: { serverResponse: Buffer.from('tokn') },
  },
};

const P_DATA_BYTES = hex(
  '04 00 00000019', // P-DATA-TF, PDU length 25
  '00000006 01 03 01020304', // PDV: context 1, command, last, 4 bytes
  '00000005 03 00 aabbcc', // context 3, data set, not last
  '00000002 03 02', // context 3, data set, last, empty fragment
);

const P_DATA: PDataTf = {
  type: 'P-DATA-TF',
  presentationDataValues: [
    { presentationContextId: 1, isCommand: true, isLast: true, data: hex('01020304') },
    { presentationContextId: 3, isCommand: false, isLast: false, data: hex('aabbcc') },
    { presentationContextId: 3, isCommand: false, isLast: true, data: Buffer.alloc(0) },
  ],
};

const FIXTURES: { name: string; bytes: Buffer; pdu: Pdu }[] = [
  { name: 'A-ASSOCIATE-RQ', bytes: RQ_BYTES, pdu: RQ },
  { name: 'A-ASSOCIATE-AC', bytes: AC_BYTES, pdu: AC },
  {
    name: 'A-ASSOCIATE-RJ',
    bytes: hex('03 00 00000004 00 01 01 03'), // rejected-permanent, service-user, calling AE not recognized
    pdu: { type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 3 },
  },
  { name: 'P-DATA-TF', bytes: P_DATA_BYTES, pdu: P_DATA },
  { name: 'A-RELEASE-RQ', bytes: hex('05 00 00000004 00000000'), pdu: { type: 'A-RELEASE-RQ' } },
  { name: 'A-RELEASE-RP', bytes: hex('06 00 00000004 00000000'), pdu: { type: 'A-RELEASE-RP' } },
  {
    name: 'A-ABORT',
    bytes: hex('07 00 00000004 00 00 02 06'), // service-provider, invalid-PDU-parameter-value
    pdu: { type: 'A-ABORT', source: 2, reason: 6 },
  },
];

/** A minimal A-ASSOCIATE-RQ around the given user information sub-items (outer lengths computed here). */
function rqAround(opts: {
  userInfo?: string | null;
  pcs?: string;
  extra?: string;
  appContext?: string;
}): Buffer {
  const items = [
    hex(opts.appContext ?? `10 00 0015 ${ascii(APP)}`),
    hex(
      opts.pcs ?? `20 00 002e 01 00 00 00 30 00 0011 ${ascii(VERIFICATION)} 40 00 0011 ${ascii(IMPLICIT_LE)}`,
    ),
  ];
  if (opts.userInfo !== null) {
    const ui = hex(opts.userInfo ?? '');
    const h = hex('50 00 0000');
    h.writeUInt16BE(ui.length, 2);
    items.push(h, ui);
  }
  if (opts.extra) items.push(hex(opts.extra));
  const body = Buffer.concat([hex('0001 0000', FIXED_AE), ...items]);
  const header = hex('01 00 00000000');
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

const VERIFICATION_PC = { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] };

function rqWith(userInformation: UserInformation, more: Partial<AAssociateRq> = {}): AAssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAETitle: 'STORESCP',
    callingAETitle: 'ECHOSCU',
    applicationContextName: APP,
    presentationContexts: [VERIFICATION_PC],
    userInformation,
    ...more,
  };
}

function decodeError(bytes: Buffer): PduDecodeError {
  try {
    decodePdu(bytes);
  } catch (e) {
    assert.ok(e instanceof PduDecodeError, `expected PduDecodeError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a PduDecodeError');
}

// ---------------------------------------------------------------------------------------------------------

describe('PDU byte fixtures', () => {
  for (const f of FIXTURES) {
    it(`${f.name}: decodes to the expected value`, () => {
      assert.deepEqual(decodePdu(f.bytes), f.pdu);
    });
    it(`${f.name}: encodes to the same bytes`, () => {
      assert.equal(encodePdu(f.pdu).toString('hex'), f.bytes.toString('hex'));
    });
  }

  it('P-DATA-TF fragments are views of the PDU buffer', () => {
    const pdu = decodePdu(P_DATA_BYTES) as PDataTf;
    const first = pdu.presentationDataValues[0]!.data;
    assert.equal(first.buffer, P_DATA_BYTES.buffer);
    assert.equal(first.byteOffset, P_DATA_BYTES.byteOffset + 12);
  });

  it('encodePDataTf gives [header, data, header, data, ...] without copying the data', () => {
    const parts = encodePDataTf(P_DATA.presentationDataValues);
    assert.equal(parts.length, 6);
    assert.equal(parts[0]!.toString('hex'), '040000000019' + '000000060103');
    assert.equal(parts[2]!.toString('hex'), '000000050300');
    assert.equal(parts[4]!.toString('hex'), '000000020302');
    for (let i = 0; i < 3; i++) assert.equal(parts[2 * i + 1], P_DATA.presentationDataValues[i]!.data);
    assert.deepEqual(Buffer.concat(parts), P_DATA_BYTES);
  });

  it('decodePduBody decodes the body the framer delivers', () => {
    assert.deepEqual(decodePduBody(0x04, P_DATA_BYTES.subarray(6)), P_DATA);
    assert.deepEqual(decodePduBody(0x01, RQ_BYTES.subarray(6)), RQ);
  });
});

describe('user information sub-items, one by one (PS3.7 D.3.3)', () => {
  const cases: { name: string; hex: string; ui: UserInformation }[] = [
    { name: '0x51 maximum length', hex: '51 00 0004 0000fffe', ui: { maxPduLength: 65534 } },
    { name: '0x51 maximum length 0 (unlimited)', hex: '51 00 0004 00000000', ui: { maxPduLength: 0 } },
    {
      name: '0x52 implementation class UID',
      hex: `52 00 000f ${ascii(IMPL_UID)}`,
      ui: { implementationClassUid: IMPL_UID },
    },
    {
      name: '0x53 asynchronous operations window',
      hex: '53 00 0004 0000 ffff',
      ui: { asynchronousOperationsWindow: { maxOperationsInvoked: 0, maxOperationsPerformed: 65535 } },
    },
    {
      name: '0x54 SCP/SCU role selection (two)',
      hex: `54 00 001d 0019 ${ascii(CT)} 01 01 54 00 0015 0011 ${ascii('1.2.840.10008.5.1')} 00 00`,
      ui: {
        scpScuRoleSelections: [
          { sopClassUid: CT, scuRole: true, scpRole: true },
          { sopClassUid: '1.2.840.10008.5.1', scuRole: false, scpRole: false },
        ],
      },
    },
    {
      name: '0x55 implementation version name',
      hex: `55 00 0010 ${ascii('ABCDEFGHIJKLMNOP')}`,
      ui: { implementationVersionName: 'ABCDEFGHIJKLMNOP' },
    },
    {
      name: '0x56 SOP class extended negotiation (storage: 6 bytes)',
      hex: `56 00 0021 0019 ${ascii(CT)} 02 00 03 00 01 00`,
      ui: {
        sopClassExtendedNegotiations: [
          { sopClassUid: CT, serviceClassApplicationInformation: hex('020003000100') },
        ],
      },
    },
    {
      name: '0x56 SOP class extended negotiation, empty information',
      hex: `56 00 001b 0019 ${ascii(CT)}`,
      ui: {
        sopClassExtendedNegotiations: [
          { sopClassUid: CT, serviceClassApplicationInformation: Buffer.alloc(0) },
        ],
      },
    },
    {
      name: '0x57 SOP class common extended negotiation, no related classes',
      hex: `57 00 0030 0019 ${ascii(CT)} 0011 ${ascii(STORAGE_SERVICE_CLASS)} 0000`,
      ui: {
        sopClassCommonExtendedNegotiations: [
          { sopClassUid: CT, serviceClassUid: STORAGE_SERVICE_CLASS, relatedGeneralSopClassUids: [] },
        ],
      },
    },
    {
      name: '0x58 user identity: username only',
      hex: `58 00 000a 01 00 0004 ${ascii('jane')} 0000`,
      ui: {
        userIdentity: {
          userIdentityType: 1,
          positiveResponseRequested: false,
          primaryField: Buffer.from('jane'),
          secondaryField: Buffer.alloc(0),
        },
      },
    },
    {
      name: '0x58 user identity: JWT',
      hex: `58 00 000b 05 01 0005 ${ascii('a.b.c')} 0000`,
      ui: {
        userIdentity: {
          userIdentityType: 5,
          positiveResponseRequested: true,
          primaryField: Buffer.from('a.b.c'),
          secondaryField: Buffer.alloc(0),
        },
      },
    },
    {
      name: '0x59 user identity server response (empty)',
      hex: '59 00 0002 0000',
      ui: { userIdentityResponse: { serverResponse: Buffer.alloc(0) } },
    },
    {
      name: 'unknown sub-items kept, not fatal',
      hex: '51 00 0004 00004000 5f 00 0003 010203 e0 00 0000',
      ui: {
        maxPduLength: 16384,
        unknownItems: [
          { type: 0x5f, data: hex('010203') },
          { type: 0xe0, data: Buffer.alloc(0) },
        ],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const bytes = rqAround({ userInfo: c.hex });
      const expected = rqWith(c.ui);
      assert.deepEqual(decodePdu(bytes), expected);
      assert.equal(encodePdu(expected).toString('hex'), bytes.toString('hex'));
    });
  }

  it('0x58 without the secondary-field-length (seen in the field) reads as an empty secondary field', () => {
    const pdu = decodePdu(rqAround({ userInfo: `58 00 0008 01 01 0004 ${ascii('jane')}` })) as AAssociateRq;
    assert.deepEqual(pdu.userInformation.userIdentity, {
      userIdentityType: 1,
      positiveResponseRequested: true,
      primaryField: Buffer.from('jane'),
      secondaryField: Buffer.alloc(0),
    });
  });

  it('a missing user information item reads as an empty one', () => {
    assert.deepEqual(decodePdu(rqAround({ userInfo: null })), rqWith({}));
  });
});

describe('tolerance and unknown items', () => {
  it('unknown items in the variable field and in a presentation context are kept, not fatal', () => {
    const bytes = rqAround({
      pcs: `20 00 0024 01 00 00 00 30 00 0011 ${ascii(VERIFICATION)} 40 00 0001 ${ascii('1')} 3f 00 0002 abcd`,
      userInfo: '51 00 0004 00004000',
      extra: '77 00 0001 ee',
    });
    const expected = rqWith(
      { maxPduLength: 16384 },
      {
        presentationContexts: [
          {
            id: 1,
            abstractSyntax: VERIFICATION,
            transferSyntaxes: ['1'],
            unknownItems: [{ type: 0x3f, data: hex('abcd') }],
          },
        ],
        unknownItems: [{ type: 0x77, data: hex('ee') }],
      },
    );
    assert.deepEqual(decodePdu(bytes), expected);
    assert.equal(encodePdu(expected).toString('hex'), bytes.toString('hex'));
  });

  it('UIDs with a trailing NUL, AE titles with leading spaces, a reserved byte set (as DCMTK does)', () => {
    const bytes = hex(
      '01 00 00000000',
      '0001 0000',
      ascii('  STORESCP'.padEnd(16)),
      ascii('ECHOSCU') + '00'.repeat(9),
      '00'.repeat(32),
      `10 00 0016 ${ascii(APP)} 00`,
      `20 00 002f 01 00 ff 00 30 00 0012 ${ascii(VERIFICATION)}00 40 00 0011 ${ascii(IMPLICIT_LE)}`,
    );
    bytes.writeUInt32BE(bytes.length - 6, 2);
    assert.deepEqual(decodePdu(bytes), rqWith({}, { userInformation: {} }));
  });

  it('a protocol version other than 1 is reported, not refused (the association layer rejects it)', () => {
    const bytes = Buffer.from(RQ_BYTES);
    bytes.writeUInt16BE(2, 6);
    assert.equal((decodePdu(bytes) as AAssociateRq).protocolVersion, 2);
  });
});

describe('malformed PDUs end in PduDecodeError naming the problem and its offset', () => {
  const cases: { name: string; bytes: Buffer; message: RegExp; offset: number; abortReason?: number }[] = [
    { name: 'empty buffer', bytes: Buffer.alloc(0), message: /header truncated/, offset: 0 },
    {
      name: 'unknown PDU type',
      bytes: hex('08 00 00000004 00000000'),
      message: /unknown PDU type 0x08/,
      offset: 0,
      abortReason: AbortReason.UnrecognizedPdu,
    },
    {
      name: 'PDU type 0',
      bytes: hex('00 00 00000000'),
      message: /unknown PDU type 0x00/,
      offset: 0,
      abortReason: AbortReason.UnrecognizedPdu,
    },
    { name: 'truncated PDU', bytes: hex('05 00 00000004 0000'), message: /PDU truncated/, offset: 8 },
    {
      name: 'bytes after the PDU',
      bytes: hex('05 00 00000004 00000000 00'),
      message: /1 bytes after the end/,
      offset: 10,
    },
    {
      name: 'A-RELEASE-RQ of length 5',
      bytes: hex('05 00 00000005 0000000000'),
      message: /A-RELEASE-RQ PDU length 5, not 4/,
      offset: 2,
    },
    {
      name: 'A-ABORT of length 0',
      bytes: hex('07 00 00000000'),
      message: /A-ABORT PDU length 0, not 4/,
      offset: 2,
    },
    { name: 'A-ASSOCIATE-RJ of length 3', bytes: hex('03 00 00000003 000101'), message: /not 4/, offset: 2 },
    {
      name: 'A-ASSOCIATE-RQ too short for its AE titles',
      bytes: hex('01 00 00000014 0001 0000', ascii('B'.padEnd(16))),
      message: /shorter than its 68-byte fixed fields/,
      offset: 2,
    },
    {
      name: 'P-DATA-TF without PDVs',
      bytes: hex('04 00 00000000'),
      message: /without presentation data value/,
      offset: 6,
    },
    {
      name: 'PDV length 0',
      bytes: hex('04 00 00000004 00000000'),
      message: /PDV item length 0 too short/,
      offset: 6,
    },
    {
      name: 'PDV length 1',
      bytes: hex('04 00 00000005 00000001 01'),
      message: /PDV item length 1 too short/,
      offset: 6,
    },
    {
      name: 'PDV length beyond the PDU',
      bytes: hex('04 00 00000008 00000005 0103 aabb'),
      message: /PDV item length 5 beyond the end of the PDU/,
      offset: 6,
    },
    {
      name: 'PDV header truncated',
      bytes: hex('04 00 00000009 00000003 010300 0000'),
      message: /PDV item header truncated/,
      offset: 13,
    },
    {
      name: 'PDV with an even context id',
      bytes: hex('04 00 00000007 00000003 020300'),
      message: /context id 2 is even/,
      offset: 10,
    },
    {
      name: 'missing application context',
      bytes: rqAround({ appContext: '' }),
      message: /without an application context item/,
      offset: 74,
    },
    {
      name: 'two application contexts',
      bytes: rqAround({ appContext: `10 00 0001 ${ascii('1')} 10 00 0001 ${ascii('1')}` }),
      message: /more than one application context/,
      offset: 79,
    },
    {
      name: 'no presentation context',
      bytes: rqAround({ pcs: '' }),
      message: /without a presentation context item/,
      offset: 74,
    },
    {
      name: 'presentation context id even',
      bytes: rqAround({ pcs: `20 00 000c 02 00 00 00 30 00 0000 40 00 0000` }),
      message: /presentation context id 2 is even/,
      offset: 103,
    },
    {
      name: 'presentation context without abstract syntax',
      bytes: rqAround({ pcs: `20 00 0008 01 00 00 00 40 00 0000` }),
      message: /has no abstract syntax/,
      offset: 99,
    },
    {
      name: 'presentation context without transfer syntax',
      bytes: rqAround({ pcs: `20 00 0008 01 00 00 00 30 00 0000` }),
      message: /has no transfer syntax/,
      offset: 99,
    },
    {
      name: 'sub-item length beyond its presentation context',
      bytes: rqAround({ pcs: `20 00 0008 01 00 00 00 30 00 0001 40 00 0000` }), // 0x30 claims 1 byte, 0 left
      message: /item 0x30 length 1 beyond the end of presentation context 1/,
      offset: 107,
    },
    {
      name: 'item length beyond the PDU',
      bytes: rqAround({ userInfo: null, extra: '77 00 0010 00' }),
      message: /item 0x77 length 16 beyond the end of the A-ASSOCIATE-RQ/,
      offset: 149,
    },
    {
      name: 'item header truncated',
      bytes: rqAround({ userInfo: null, extra: '77 00' }),
      message: /item header truncated/,
      offset: 149,
    },
    {
      name: 'A-ASSOCIATE-AC presentation context in an RQ',
      bytes: rqAround({ userInfo: null, extra: `21 00 0008 01 00 00 00 40 00 0000` }),
      message: /A-ASSOCIATE-AC presentation context item in an A-ASSOCIATE-RQ/,
      offset: 149,
      abortReason: AbortReason.UnexpectedPduParameter,
    },
    {
      name: 'maximum length sub-item of length 2',
      bytes: rqAround({ userInfo: '51 00 0002 4000' }),
      message: /maximum length sub-item of length 2, not 4/,
      offset: 153,
    },
    {
      name: 'two maximum length sub-items',
      bytes: rqAround({ userInfo: '51 00 0004 00004000 51 00 0004 00004000' }),
      message: /more than one maximum length sub-item/,
      offset: 161,
    },
    {
      name: 'role selection UID length not matching',
      bytes: rqAround({ userInfo: `54 00 0006 0003 ${ascii('1.2')} 01` }),
      message: /UID length 3 does not match sub-item length 6/,
      offset: 157,
    },
    {
      name: 'common extended negotiation: related UID beyond its field',
      bytes: rqAround({
        userInfo: `57 00 000b 0001 ${ascii('1')} 0001 ${ascii('2')} 0002 0005 ${ascii('3')}`,
      }),
      message: /related general SOP class UID length 5 beyond its sub-item/,
      offset: 165,
    },
    {
      name: 'user identity primary field beyond the sub-item',
      bytes: rqAround({ userInfo: `58 00 0006 01 00 0009 ${ascii('ab')}` }),
      message: /user identity primary field length 9 beyond its sub-item/,
      offset: 159,
    },
    {
      name: 'user identity with trailing bytes',
      bytes: rqAround({ userInfo: `58 00 0008 01 00 0001 ${ascii('a')} 0000 ff` }),
      message: /1 bytes after the user identity secondary field/,
      offset: 164,
    },
    {
      name: 'accepted presentation context without a transfer syntax',
      bytes: (() => {
        const b = hex(
          '02 00 00000000 0001 0000',
          FIXED_AE,
          `10 00 0015 ${ascii(APP)}`,
          '21 00 0004 01 00 00 00',
        );
        b.writeUInt32BE(b.length - 6, 2);
        return b;
      })(),
      message: /accepted presentation context 1 has no transfer syntax/,
      offset: 99,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const e = decodeError(c.bytes);
      assert.match(e.message, c.message);
      assert.equal(e.offset, c.offset, e.message);
      assert.ok(e.offset <= c.bytes.length, 'offset within the PDU');
      assert.equal(e.abortReason, c.abortReason ?? AbortReason.InvalidPduParameterValue);
    });
  }
});

describe('encoding refuses what does not fit', () => {
  it('AE titles of wrong length, even or out-of-range context ids, empty P-DATA-TF, oversize items', () => {
    assert.throws(() => encodePdu(rqWith({}, { calledAETitle: 'A'.repeat(17) })), PduEncodeError);
    assert.throws(() => encodePdu(rqWith({}, { callingAETitle: '' })), /wrong length 0/);
    assert.throws(() => encodePdu(rqWith({}, { callingAETitle: '   ' })), /all spaces/);
    assert.throws(
      () => encodePdu(rqWith({}, { presentationContexts: [{ ...VERIFICATION_PC, id: 2 }] })),
      /not odd/,
    );
    assert.throws(
      () => encodePdu(rqWith({}, { presentationContexts: [{ ...VERIFICATION_PC, id: 257 }] })),
      /not odd/,
    );
    assert.throws(
      () => encodePdu(rqWith({}, { presentationContexts: [{ ...VERIFICATION_PC, transferSyntaxes: [] }] })),
      PduEncodeError,
    );
    assert.throws(() => encodePDataTf([]), PduEncodeError);
    assert.throws(
      () =>
        encodePDataTf([{ presentationContextId: 0, isCommand: true, isLast: true, data: Buffer.alloc(1) }]),
      /not odd/,
    );
    const big = { sopClassUid: CT, serviceClassApplicationInformation: Buffer.alloc(70000) };
    assert.throws(() => encodePdu(rqWith({ sopClassExtendedNegotiations: [big] })), /does not fit an item/);
    assert.throws(() => encodePdu(rqWith({ maxPduLength: 2 ** 32 })), /does not fit 32 bits/);
    assert.throws(() => encodePdu(rqWith({ implementationClassUid: '1.2\u20ac' })), /not ISO 8859-1/);
    assert.throws(() => encodePdu({ type: 'A-ABORT', source: 256, reason: 0 }), /not a byte/);
  });
});

describe('names and wording', () => {
  it('PDU type codes and names', () => {
    assert.equal(PduTypeCode['P-DATA-TF'], 4);
    assert.equal(pduTypeName(7), 'A-ABORT');
    assert.equal(pduTypeName(8), undefined);
  });

  it('describeRejection', () => {
    assert.equal(
      describeRejection({
        result: RejectResult.RejectedPermanent,
        source: RejectSource.ServiceUser,
        reason: RejectReason.ServiceUser.CallingAETitleNotRecognized,
      }),
      'rejected-permanent by DICOM UL service-user: calling-AE-title-not-recognized',
    );
    assert.match(describeRejection({ result: 1, source: 1, reason: 7 }), /called-AE-title-not-recognized$/);
    assert.match(
      describeRejection({ result: 1, source: 1, reason: 2 }),
      /application-context-name-not-supported$/,
    );
    assert.match(
      describeRejection({ result: 2, source: 2, reason: 2 }),
      /^rejected-transient .*ACSE.*protocol-version-not-supported$/,
    );
    assert.match(
      describeRejection({ result: 2, source: 3, reason: 1 }),
      /Presentation related function\): temporary-congestion$/,
    );
    assert.match(describeRejection({ result: 2, source: 3, reason: 2 }), /local-limit-exceeded$/);
    assert.match(describeRejection({ result: 1, source: 1, reason: 5 }), /reserved \(5\)$/);
    assert.match(
      describeRejection({ result: 9, source: 9, reason: 9 }),
      /unknown result 9 by unknown source 9/,
    );
  });

  it('describeAbort', () => {
    assert.equal(
      describeAbort({ source: AbortSource.ServiceProvider, reason: AbortReason.UnexpectedPdu }),
      'DICOM UL service-provider (initiated abort): unexpected-PDU',
    );
    assert.equal(
      describeAbort({ source: AbortSource.ServiceUser, reason: 3 }),
      'DICOM UL service-user (initiated abort)',
    );
    const names = [0, 1, 2, 3, 4, 5, 6].map((reason) => describeAbort({ source: 2, reason }).split(': ')[1]);
    assert.deepEqual(names, [
      'reason-not-specified',
      'unrecognized-PDU',
      'unexpected-PDU',
      'reserved',
      'unrecognized-PDU-parameter',
      'unexpected-PDU-parameter',
      'invalid-PDU-parameter-value',
    ]);
  });

  it('describePresentationContextResult', () => {
    assert.equal(describePresentationContextResult(0), 'acceptance');
    assert.equal(
      describePresentationContextResult(4),
      'transfer-syntaxes-not-supported (provider rejection)',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Round trips of random PDUs

function randomPdu(rnd: () => number): Pdu {
  const int = (n: number) => Math.floor(rnd() * n);
  const uid = () => `1.2.${Array.from({ length: 1 + int(8) }, () => String(1 + int(99999))).join('.')}`;
  const bytes = (max: number) => Buffer.from(Array.from({ length: int(max) }, () => int(256)));
  const ae = () => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';
    return Array.from({ length: 1 + int(16) }, () => chars[int(chars.length)]).join('');
  };
  const maybe = <T>(make: () => T): T | undefined => (rnd() < 0.5 ? make() : undefined);
  const list = <T>(make: () => T, max: number): T[] | undefined => {
    const n = int(max + 1);
    return n === 0 ? undefined : Array.from({ length: n }, make);
  };
  const userInformation = (rq: boolean): UserInformation => {
    const ui: UserInformation = {
      maxPduLength: maybe(() => int(2 ** 32)),
      implementationClassUid: maybe(uid),
      asynchronousOperationsWindow: maybe(() => ({
        maxOperationsInvoked: int(65536),
        maxOperationsPerformed: int(65536),
      })),
      scpScuRoleSelections: list(
        () => ({ sopClassUid: uid(), scuRole: rnd() < 0.5, scpRole: rnd() < 0.5 }),
        3,
      ),
      implementationVersionName: maybe(ae),
      sopClassExtendedNegotiations: list(
        () => ({ sopClassUid: uid(), serviceClassApplicationInformation: bytes(8) }),
        2,
      ),
      sopClassCommonExtendedNegotiations: rq
        ? list(
            () => ({
              sopClassUid: uid(),
              serviceClassUid: uid(),
              relatedGeneralSopClassUids: list(uid, 3) ?? [],
            }),
            2,
          )
        : undefined,
      userIdentity: rq
        ? maybe(() => ({
            userIdentityType: 1 + int(5),
            positiveResponseRequested: rnd() < 0.5,
            primaryField: bytes(40),
            secondaryField: bytes(10),
          }))
        : undefined,
      userIdentityResponse: rq ? undefined : maybe(() => ({ serverResponse: bytes(30) })),
      unknownItems: list(() => ({ type: 0x5a + int(6), data: bytes(5) }), 2),
    };
    for (const k of Object.keys(ui) as (keyof UserInformation)[]) if (ui[k] === undefined) delete ui[k];
    return ui;
  };
  const common = () => ({
    protocolVersion: 1,
    calledAETitle: ae(),
    callingAETitle: ae(),
    applicationContextName: rnd() < 0.9 ? APP : uid(),
  });
  const ids = () => Array.from({ length: 1 + int(5) }, (_, i) => 2 * i + 1);
  switch (int(7)) {
    case 0:
      return {
        type: 'A-ASSOCIATE-RQ',
        ...common(),
        presentationContexts: ids().map((id) => ({
          id,
          abstractSyntax: uid(),
          transferSyntaxes: list(uid, 4) ?? [uid()],
        })),
        userInformation: userInformation(true),
      };
    case 1:
      return {
        type: 'A-ASSOCIATE-AC',
        ...common(),
        presentationContexts: ids().map((id) => {
          const result = rnd() < 0.5 ? 0 : int(5);
          return { id, result, transferSyntax: result === 0 || rnd() < 0.5 ? uid() : '' };
        }),
        userInformation: userInformation(false),
      };
    case 2:
      return { type: 'A-ASSOCIATE-RJ', result: 1 + int(2), source: 1 + int(3), reason: int(8) };
    case 3:
      return {
        type: 'P-DATA-TF',
        presentationDataValues: Array.from({ length: 1 + int(4) }, () => ({
          presentationContextId: 1 + 2 * int(128),
          isCommand: rnd() < 0.5,
          isLast: rnd() < 0.5,
          data: bytes(300),
        })),
      };
    case 4:
      return { type: 'A-RELEASE-RQ' };
    case 5:
      return { type: 'A-RELEASE-RP' };
    default:
      return { type: 'A-ABORT', source: rnd() < 0.5 ? 0 : 2, reason: int(7) };
  }
}

describe('round trips', () => {
  it('1000 random PDUs of every type: decode(encode(pdu)) equals pdu, encode(decode(bytes)) equals bytes', () => {
    const rnd = prng(20240901);
    for (let i = 0; i < 1000; i++) {
      const pdu = randomPdu(rnd);
      const bytes = encodePdu(pdu);
      assert.deepEqual(decodePdu(bytes), pdu, `case ${i}`);
      assert.deepEqual(encodePdu(decodePdu(bytes)), bytes, `case ${i}`);
      if (pdu.type === 'P-DATA-TF')
        assert.deepEqual(Buffer.concat(encodePDataTf(pdu.presentationDataValues)), bytes);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Fuzz

function mutate(src: Buffer, rnd: () => number): Buffer {
  let buf = Buffer.from(src);
  const kind = Math.floor(rnd() * 5);
  if (kind === 0) return buf.subarray(0, Math.floor(rnd() * buf.length));
  if (kind === 1) {
    // Overwrite a 16- or 32-bit field with an extreme value.
    const at = Math.floor(rnd() * Math.max(1, buf.length - 4));
    const v = [0xffffffff, 0xfffffff0, 0x7fffffff, 0x10000, 0, 1, 2, 3][Math.floor(rnd() * 8)]!;
    if (rnd() < 0.5) buf.writeUInt32BE(v, at);
    else buf.writeUInt16BE(v & 0xffff, at);
  } else if (kind === 2) {
    const at = Math.floor(rnd() * buf.length);
    const junk = Buffer.from(
      Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256)),
    );
    buf = Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
  } else if (kind === 3) {
    const at = Math.floor(rnd() * buf.length);
    buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + Math.floor(rnd() * 8))]);
  } else {
    for (let i = 0, n = 1 + Math.floor(rnd() * 6); i < n; i++)
      buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
  }
  // Most of the time, keep the PDU length consistent so the mutation reaches the items.
  if (buf.length >= 6 && rnd() < 0.7) buf.writeUInt32BE(buf.length - 6, 2);
  return buf;
}

describe('fuzz (seeded)', () => {
  const seeds = [
    ...FIXTURES.map((f) => f.bytes),
    rqAround({ userInfo: `58 00 0008 01 01 0004 ${ascii('jane')} 5f 00 0001 00` }),
  ];

  it('5000 mutations and truncations of valid PDUs: a PDU or PduDecodeError, never another exception', () => {
    const rnd = prng(7);
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 5000; i++) {
      const input = mutate(seeds[i % seeds.length]!, rnd);
      try {
        const pdu = decodePdu(input);
        tally.ok++;
        // What decodes must encode again (an AE title or id our encoder refuses is the only exception).
        try {
          encodePdu(pdu);
        } catch (e) {
          assert.ok(e instanceof PduEncodeError, `case ${i}: ${String(e)}`);
        }
      } catch (e) {
        if (!(e instanceof PduDecodeError)) assert.fail(`case ${i} (${input.toString('hex')}): ${String(e)}`);
        assert.ok(
          e.offset >= 0 && e.offset <= input.length,
          `case ${i}: offset ${e.offset} of ${input.length}`,
        );
        tally.error++;
      }
    }
    assert.ok(tally.ok > 200 && tally.error > 200, JSON.stringify(tally));
  });

  it('2000 mutated streams through the framer in random chunks: PDUs or PduDecodeError only', () => {
    const rnd = prng(11);
    for (let i = 0; i < 2000; i++) {
      const stream = mutate(Buffer.concat([seeds[i % seeds.length]!, seeds[(i + 3) % seeds.length]!]), rnd);
      const framer = new PduFramer({ maxPduLength: 1000, maxAssociatePduLength: 4000 });
      try {
        for (let p = 0; p < stream.length; ) {
          const n = 1 + Math.floor(rnd() * 40);
          framer.push(stream.subarray(p, p + n));
          p += n;
          for (const f of framer.drain()) {
            try {
              decodePduBody(f.type, f.body);
            } catch (e) {
              if (!(e instanceof PduDecodeError)) assert.fail(`case ${i}: ${String(e)}`);
            }
          }
        }
      } catch (e) {
        if (!(e instanceof PduDecodeError)) assert.fail(`case ${i}: ${String(e)}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Framer

describe('PduFramer', () => {
  const stream = Buffer.concat(FIXTURES.map((f) => f.bytes));
  const expected = FIXTURES.map((f) => ({ type: f.bytes[0]!, body: f.bytes.subarray(6) }));

  function frame(chunks: Buffer[], maxPduLength = 1 << 16): { type: number; body: Buffer }[] {
    const out: { type: number; body: Buffer }[] = [];
    const framer = new PduFramer({ maxPduLength, onPdu: (type, body) => out.push({ type, body }) });
    for (const c of chunks) framer.push(c);
    assert.equal(framer.bufferedBytes, 0);
    return out;
  }

  it('1-byte chunks', () => {
    const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    const got = frame(chunks);
    assert.deepEqual(got, expected);
    assert.deepEqual(
      got.map((f) => decodePduBody(f.type, f.body)),
      FIXTURES.map((f) => f.pdu),
    );
  });

  it('random chunk sizes (seeded), 200 splits', () => {
    const rnd = prng(3);
    for (let k = 0; k < 200; k++) {
      const chunks: Buffer[] = [];
      for (let p = 0; p < stream.length; ) {
        const n = 1 + Math.floor(rnd() * (k % 2 ? 8 : 300));
        chunks.push(stream.subarray(p, p + n));
        p += n;
      }
      assert.deepEqual(frame(chunks), expected, `split ${k}`);
    }
  });

  it('several PDUs in one chunk: each a view of the chunk (zero copy); one spanning chunks is joined', () => {
    const chunk = Buffer.concat([stream, stream]);
    const got = frame([chunk]);
    assert.equal(got.length, 2 * FIXTURES.length);
    for (const f of got) if (f.body.length > 0) assert.equal(f.body.buffer, chunk.buffer);
    const [a, b] = [P_DATA_BYTES.subarray(0, 10), P_DATA_BYTES.subarray(10)];
    const spanned = frame([a, b]);
    assert.deepEqual(spanned, [{ type: 4, body: P_DATA_BYTES.subarray(6) }]);
    assert.notEqual(spanned[0]!.body.buffer, P_DATA_BYTES.buffer);
  });

  it('drain() without a callback; bufferedBytes shows a partial PDU', () => {
    const framer = new PduFramer({ maxPduLength: 1 << 16 });
    framer.push(stream.subarray(0, RQ_BYTES.length + 3));
    assert.deepEqual(framer.drain(), [expected[0]]);
    assert.equal(framer.bufferedBytes, 3);
    assert.deepEqual(framer.drain(), []);
    framer.push(stream.subarray(RQ_BYTES.length + 3));
    assert.deepEqual(framer.drain(), expected.slice(1));
    assert.equal(framer.bufferedBytes, 0);
  });

  it('an oversize P-DATA-TF is rejected from its header alone; the framer then refuses input', () => {
    const framer = new PduFramer({ maxPduLength: 16384 });
    framer.push(hex('04 00 0000'));
    assert.throws(
      () => framer.push(hex('4001')), // header complete: length 16385, no body yet
      (e: unknown) =>
        e instanceof PduDecodeError && /P-DATA-TF length 16385 exceeds the maximum 16384/.test(e.message),
    );
    assert.ok(framer.error instanceof PduDecodeError);
    assert.throws(() => framer.push(hex('00')), PduDecodeError);
    // Exactly the maximum is accepted.
    const ok = new PduFramer({ maxPduLength: 8 });
    ok.push(hex('04 00 00000008 00000004 0103 aabb'));
    assert.equal(ok.drain().length, 1);
    ok.maxPduLength = 7;
    assert.throws(() => ok.push(hex('04 00 00000008')), PduDecodeError);
  });

  it('an A-ASSOCIATE-RQ above its own limit, an A-ABORT of the wrong length and an unknown type: from the header', () => {
    const big = new PduFramer({ maxPduLength: 16384, maxAssociatePduLength: 1000 });
    assert.throws(
      () => big.push(hex('01 00 000003e9')),
      /A-ASSOCIATE-RQ length 1001 exceeds the maximum 1000/,
    );
    const abort = new PduFramer({ maxPduLength: 16384 });
    assert.throws(() => abort.push(hex('07 00 ffffffff')), /A-ABORT PDU length 4294967295, not 4/);
    const unknown = new PduFramer({ maxPduLength: 16384 });
    assert.throws(
      () => unknown.push(hex('05 00 00000004 00000000 09 00 00000004')),
      (e: unknown) =>
        e instanceof PduDecodeError &&
        e.abortReason === AbortReason.UnrecognizedPdu &&
        /unknown PDU type 0x09 \(PDU at stream byte 10\)/.test(e.message),
    );
    assert.equal(unknown.drain().length, 1, 'the PDU before the bad one was delivered');
  });
});

// ---------------------------------------------------------------------------------------------------------
// DCMTK as an independent peer

const echoscuAvailable = !spawnSync('echoscu', ['--version']).error;

/** Reads a US element from an Implicit VR Little Endian command set (test-side, not our data layer). */
function commandUS(command: Buffer, tag: number): number | undefined {
  for (let p = 0; p + 8 <= command.length; ) {
    const t = ((command.readUInt16LE(p) << 16) | command.readUInt16LE(p + 2)) >>> 0;
    const length = command.readUInt32LE(p + 4);
    if (t === tag) return command.readUInt16LE(p + 8);
    p += 8 + length;
  }
  return undefined;
}

/** A C-ECHO-RSP command set (PS3.7 9.3.5.2) in Implicit VR Little Endian, written out by hand. */
function cEchoRsp(messageId: number): Buffer {
  const b = hex(
    '0000 0000 04000000 42000000', // (0000,0000) UL group length 66
    '0000 0200 12000000',
    ascii(VERIFICATION) + '00', // (0000,0002) Affected SOP Class UID, padded to 18
    '0000 0001 02000000 3080', // (0000,0100) Command Field C-ECHO-RSP
    '0000 2001 02000000 0000', // (0000,0120) Message ID Being Responded To (set below)
    '0000 0008 02000000 0101', // (0000,0800) Command Data Set Type: none
    '0000 0009 02000000 0000', // (0000,0900) Status: success
  );
  b.writeUInt16LE(messageId, 12 + 26 + 10 + 8);
  return b;
}

describe('DCMTK echoscu as the peer', () => {
  it('decodes echoscu’s A-ASSOCIATE-RQ and echoscu understands our A-ASSOCIATE-RJ', async (t) => {
    if (!echoscuAvailable) {
      t.skip('echoscu (DCMTK) not installed: apt-get install dcmtk');
      return;
    }
    let rq: Pdu | undefined;
    const server = net.createServer((socket) => {
      const framer = new PduFramer({
        maxPduLength: 1 << 20,
        onPdu: (type, body) => {
          rq = decodePduBody(type, body);
          socket.end(
            encodePdu({
              type: 'A-ASSOCIATE-RJ',
              result: RejectResult.RejectedPermanent,
              source: RejectSource.ServiceUser,
              reason: RejectReason.ServiceUser.CalledAETitleNotRecognized,
            }),
          );
        },
      });
      socket.on('data', (chunk: Buffer) => framer.push(chunk));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const run = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          'echoscu',
          ['-aet', 'A', '-aec', 'B', '127.0.0.1', String(port)],
          { timeout: 20000 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
            resolve({ code, output: stdout + stderr });
          },
        );
      });
      assert.ok(rq, 'an A-ASSOCIATE-RQ arrived');
      assert.equal(rq.type, 'A-ASSOCIATE-RQ');
      if (rq.type !== 'A-ASSOCIATE-RQ') return;
      assert.equal(rq.callingAETitle, 'A');
      assert.equal(rq.calledAETitle, 'B');
      assert.equal(rq.protocolVersion, 1);
      assert.equal(rq.applicationContextName, APP);
      assert.ok(
        rq.presentationContexts.some(
          (pc) => pc.abstractSyntax === VERIFICATION && pc.transferSyntaxes.includes(IMPLICIT_LE),
        ),
        'a Verification context offering Implicit VR Little Endian',
      );
      assert.match(
        rq.userInformation.implementationClassUid ?? '',
        /^1\.2\.276\.0\.7230010\.3\./,
        "DCMTK's UID root",
      );
      assert.match(rq.userInformation.implementationVersionName ?? '', /^OFFIS_DCMTK/);
      assert.ok((rq.userInformation.maxPduLength ?? 0) > 0);
      assert.notEqual(run.code, 0, run.output);
      assert.match(run.output, /Association Rejected/i);
      assert.match(run.output, /Called AE Title Not Recognized/i);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('echoscu completes a C-ECHO over our A-ASSOCIATE-AC, P-DATA-TF and A-RELEASE-RP', async (t) => {
    if (!echoscuAvailable) {
      t.skip('echoscu (DCMTK) not installed: apt-get install dcmtk');
      return;
    }
    const seen: string[] = [];
    const server = net.createServer((socket) => {
      const framer = new PduFramer({
        maxPduLength: 16384,
        onPdu: (type, body) => {
          const pdu = decodePduBody(type, body);
          seen.push(pdu.type);
          if (pdu.type === 'A-ASSOCIATE-RQ') {
            const pc = pdu.presentationContexts.find((c) => c.abstractSyntax === VERIFICATION)!;
            const ac: AAssociateAc = {
              type: 'A-ASSOCIATE-AC',
              protocolVersion: 1,
              calledAETitle: pdu.calledAETitle,
              callingAETitle: pdu.callingAETitle,
              applicationContextName: APP,
              presentationContexts: pdu.presentationContexts.map((c) =>
                c === pc
                  ? { id: c.id, result: 0, transferSyntax: IMPLICIT_LE }
                  : { id: c.id, result: 3, transferSyntax: '' },
              ),
              userInformation: {
                maxPduLength: 16384,
                implementationClassUid: IMPL_UID,
                implementationVersionName: 'PDU_TEST',
              },
            };
            socket.write(encodePdu(ac));
          } else if (pdu.type === 'P-DATA-TF') {
            const pdv = pdu.presentationDataValues[0]!;
            assert.ok(pdv.isCommand && pdv.isLast, 'C-ECHO-RQ is one command fragment');
            assert.equal(commandUS(pdv.data, 0x00000100), 0x0030, 'C-ECHO-RQ');
            const messageId = commandUS(pdv.data, 0x00000110)!;
            socket.cork();
            for (const part of encodePDataTf([
              {
                presentationContextId: pdv.presentationContextId,
                isCommand: true,
                isLast: true,
                data: cEchoRsp(messageId),
              },
            ])) {
              socket.write(part);
            }
            socket.uncork();
          } else if (pdu.type === 'A-RELEASE-RQ') {
            socket.end(encodePdu({ type: 'A-RELEASE-RP' }));
          }
        },
      });
      socket.on('data', (chunk: Buffer) => framer.push(chunk));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const run = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          'echoscu',
          ['-v', '-aet', 'A', '-aec', 'B', '127.0.0.1', String(port)],
          { timeout: 20000 },
          (err, stdout, stderr) => {
            resolve({
              code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
              output: stdout + stderr,
            });
          },
        );
      });
      assert.equal(run.code, 0, run.output);
      assert.match(run.output, /Received Echo Response \(Success\)/);
      assert.deepEqual(seen, ['A-ASSOCIATE-RQ', 'P-DATA-TF', 'A-RELEASE-RQ']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
