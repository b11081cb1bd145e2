/**
 * The DICOM Upper Layer PDUs (PS3.8 9.3) as data: a discriminated union on `type`, named in the standard's
 * words, with the standard's codes as constants and its wording for rejections and aborts. No I/O here:
 * `pdu.ts` encodes and decodes, `pdu-framer.ts` cuts a byte stream into PDUs.
 */

/** PDU type codes (PS3.8 9.3.1, table 9-11 and following). */
export const PduTypeCode = {
  'A-ASSOCIATE-RQ': 0x01,
  'A-ASSOCIATE-AC': 0x02,
  'A-ASSOCIATE-RJ': 0x03,
  'P-DATA-TF': 0x04,
  'A-RELEASE-RQ': 0x05,
  'A-RELEASE-RP': 0x06,
  'A-ABORT': 0x07,
} as const;

export type PduTypeName = keyof typeof PduTypeCode;

const PDU_TYPE_NAMES: readonly (PduTypeName | undefined)[] = [
  undefined,
  'A-ASSOCIATE-RQ',
  'A-ASSOCIATE-AC',
  'A-ASSOCIATE-RJ',
  'P-DATA-TF',
  'A-RELEASE-RQ',
  'A-RELEASE-RP',
  'A-ABORT',
];

/** The standard's name of a PDU type code; undefined for reserved or unknown codes. */
export function pduTypeName(code: number): PduTypeName | undefined {
  return PDU_TYPE_NAMES[code];
}

/** Item and sub-item type codes of the variable fields (PS3.8 9.3.2.x, PS3.7 Annex D.3.3). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  ScpScuRoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

/** The 6-byte PDU header: type, reserved, 32-bit big-endian PDU length (PS3.8 9.3.1). */
export const PDU_HEADER_LENGTH = 6;

/** The DICOM Application Context Name (PS3.7 A.2.1). */
export const DICOM_APPLICATION_CONTEXT_NAME = '1.2.840.10008.3.1.1.1';

/** An item or sub-item this implementation does not know: its type and value (item header removed). */
export interface UnknownItem {
  type: number;
  data: Buffer;
}

/** Presentation context in an A-ASSOCIATE-RQ (PS3.8 9.3.2.2). */
export interface PresentationContextRq {
  /** Odd, 1-255. */
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
  unknownItems?: UnknownItem[];
}

/** Result/Reason of a presentation context in an A-ASSOCIATE-AC (PS3.8 9.3.3.2, table 9-18). */
export const PresentationContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  /** no-reason (provider rejection) */
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

const PC_RESULT_WORDS = [
  'acceptance',
  'user-rejection',
  'no-reason (provider rejection)',
  'abstract-syntax-not-supported (provider rejection)',
  'transfer-syntaxes-not-supported (provider rejection)',
];

export function describePresentationContextResult(result: number): string {
  return PC_RESULT_WORDS[result] ?? `unknown result ${result}`;
}

/** Presentation context in an A-ASSOCIATE-AC (PS3.8 9.3.3.2). */
export interface PresentationContextAc {
  id: number;
  /** See PresentationContextResult. */
  result: number;
  /** Significant only when accepted; '' when the peer sent none (or an empty one) for a rejected context. */
  transferSyntax: string;
  unknownItems?: UnknownItem[];
}

/** SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4); on an A-ASSOCIATE-AC the roles accepted. */
export interface ScpScuRoleSelection {
  sopClassUid: string;
  scuRole: boolean;
  scpRole: boolean;
}

/** Asynchronous Operations Window sub-item (PS3.7 D.3.3.3); 0 means unlimited. */
export interface AsynchronousOperationsWindow {
  maxOperationsInvoked: number;
  maxOperationsPerformed: number;
}

/** SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5). */
export interface SopClassExtendedNegotiation {
  sopClassUid: string;
  serviceClassApplicationInformation: Buffer;
}

/** SOP Class Common Extended Negotiation sub-item (PS3.7 D.3.3.6); A-ASSOCIATE-RQ only. */
export interface SopClassCommonExtendedNegotiation {
  sopClassUid: string;
  serviceClassUid: string;
  relatedGeneralSopClassUids: string[];
}

/** User-Identity-Type of the User Identity Negotiation sub-item (PS3.7 D.3.3.7.1). */
export const UserIdentityType = {
  Username: 1,
  UsernameAndPasscode: 2,
  Kerberos: 3,
  Saml: 4,
  Jwt: 5,
} as const;

/** User Identity Negotiation sub-item of an A-ASSOCIATE-RQ (0x58, PS3.7 D.3.3.7.1). */
export interface UserIdentityNegotiationRq {
  /** See UserIdentityType. */
  userIdentityType: number;
  positiveResponseRequested: boolean;
  primaryField: Buffer;
  /** Significant only for type 2 (username and passcode); empty otherwise. */
  secondaryField: Buffer;
}

/** User Identity Negotiation sub-item of an A-ASSOCIATE-AC (0x59, PS3.7 D.3.3.7.2). */
export interface UserIdentityNegotiationAc {
  serverResponse: Buffer;
}

/**
 * The User Information item (PS3.8 9.3.2.3, PS3.7 Annex D.3.3). Every field is optional so that what a peer
 * sent is reported as sent (the association layer decides what is missing); lists are absent when empty.
 */
export interface UserInformation {
  /** Maximum length of the P-DATA-TF variable field receivable (0x51); 0 means no limit. */
  maxPduLength?: number;
  implementationClassUid?: string;
  asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  scpScuRoleSelections?: ScpScuRoleSelection[];
  implementationVersionName?: string;
  sopClassExtendedNegotiations?: SopClassExtendedNegotiation[];
  sopClassCommonExtendedNegotiations?: SopClassCommonExtendedNegotiation[];
  userIdentity?: UserIdentityNegotiationRq;
  userIdentityResponse?: UserIdentityNegotiationAc;
  /** Sub-items of types this implementation does not know, in the order received (kept for logging). */
  unknownItems?: UnknownItem[];
}

interface AssociateFields {
  /** Bit 0 set: version 1 (PS3.8 9.3.2). */
  protocolVersion: number;
  /** Trimmed; on the wire 16 characters, space-padded. On an A-ASSOCIATE-AC, echoed from the RQ. */
  calledAETitle: string;
  callingAETitle: string;
  applicationContextName: string;
  userInformation: UserInformation;
  /** Items of unknown types in the variable field (kept for logging). */
  unknownItems?: UnknownItem[];
}

export interface AAssociateRq extends AssociateFields {
  type: 'A-ASSOCIATE-RQ';
  presentationContexts: PresentationContextRq[];
}

export interface AAssociateAc extends AssociateFields {
  type: 'A-ASSOCIATE-AC';
  presentationContexts: PresentationContextAc[];
}

/** A-ASSOCIATE-RJ (PS3.8 9.3.4); see RejectResult, RejectSource, RejectReason. */
export interface AAssociateRj {
  type: 'A-ASSOCIATE-RJ';
  result: number;
  source: number;
  reason: number;
}

/** One Presentation Data Value item of a P-DATA-TF (PS3.8 9.3.5, Annex E.2). */
export interface PresentationDataValue {
  presentationContextId: number;
  /** Message control header bit 0: a command fragment (else a data set fragment). */
  isCommand: boolean;
  /** Message control header bit 1: the last fragment of the command or data set. */
  isLast: boolean;
  /** The fragment; decoded, a view of the PDU's buffer (no copy). */
  data: Buffer;
}

export interface PDataTf {
  type: 'P-DATA-TF';
  presentationDataValues: PresentationDataValue[];
}

export interface AReleaseRq {
  type: 'A-RELEASE-RQ';
}

export interface AReleaseRp {
  type: 'A-RELEASE-RP';
}

/** A-ABORT (PS3.8 9.3.8); see AbortSource, AbortReason. */
export interface AAbort {
  type: 'A-ABORT';
  source: number;
  /** Significant only when source is the service-provider. */
  reason: number;
}

export type Pdu = AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort;

/** A-ASSOCIATE-RJ Result (PS3.8 table 9-21). */
export const RejectResult = {
  RejectedPermanent: 1,
  RejectedTransient: 2,
} as const;

/** A-ASSOCIATE-RJ Source (PS3.8 table 9-21). */
export const RejectSource = {
  ServiceUser: 1,
  ServiceProviderAcse: 2,
  ServiceProviderPresentation: 3,
} as const;

/** A-ASSOCIATE-RJ Reason/Diag., per source (PS3.8 table 9-21). */
export const RejectReason = {
  ServiceUser: {
    NoReasonGiven: 1,
    ApplicationContextNameNotSupported: 2,
    CallingAETitleNotRecognized: 3,
    CalledAETitleNotRecognized: 7,
  },
  ServiceProviderAcse: {
    NoReasonGiven: 1,
    ProtocolVersionNotSupported: 2,
  },
  ServiceProviderPresentation: {
    TemporaryCongestion: 1,
    LocalLimitExceeded: 2,
  },
} as const;

const REJECT_RESULT_WORDS: Record<number, string> = { 1: 'rejected-permanent', 2: 'rejected-transient' };
const REJECT_SOURCE_WORDS: Record<number, string> = {
  1: 'DICOM UL service-user',
  2: 'DICOM UL service-provider (ACSE related function)',
  3: 'DICOM UL service-provider (Presentation related function)',
};
const REJECT_REASON_WORDS: Record<number, Record<number, string>> = {
  1: {
    1: 'no-reason-given',
    2: 'application-context-name-not-supported',
    3: 'calling-AE-title-not-recognized',
    7: 'called-AE-title-not-recognized',
  },
  2: { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
  3: { 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
};

/** The standard's wording of an A-ASSOCIATE-RJ reason for its source, e.g. "calling-AE-title-not-recognized". */
export function rejectReasonName(source: number, reason: number): string {
  const bySource = REJECT_REASON_WORDS[source];
  if (bySource === undefined) return `reason ${reason}`;
  return bySource[reason] ?? (reason <= 10 ? `reserved (${reason})` : `reason ${reason}`);
}

/**
 * An A-ASSOCIATE-RJ in the standard's words, e.g.
 * "rejected-permanent by DICOM UL service-user: calling-AE-title-not-recognized".
 */
export function describeRejection(rj: Pick<AAssociateRj, 'result' | 'source' | 'reason'>): string {
  const result = REJECT_RESULT_WORDS[rj.result] ?? `unknown result ${rj.result}`;
  const source = REJECT_SOURCE_WORDS[rj.source] ?? `unknown source ${rj.source}`;
  return `${result} by ${source}: ${rejectReasonName(rj.source, rj.reason)}`;
}

/** A-ABORT Source (PS3.8 table 9-26); 1 is reserved. */
export const AbortSource = {
  ServiceUser: 0,
  ServiceProvider: 2,
} as const;

/** A-ABORT Reason/Diag. (PS3.8 table 9-26), significant when the source is the service-provider. */
export const AbortReason = {
  ReasonNotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

const ABORT_SOURCE_WORDS: Record<number, string> = {
  0: 'DICOM UL service-user (initiated abort)',
  1: 'reserved',
  2: 'DICOM UL service-provider (initiated abort)',
};
const ABORT_REASON_WORDS = [
  'reason-not-specified',
  'unrecognized-PDU',
  'unexpected-PDU',
  'reserved',
  'unrecognized-PDU-parameter',
  'unexpected-PDU-parameter',
  'invalid-PDU-parameter-value',
];

/** The standard's wording of an A-ABORT reason, e.g. "unexpected-PDU". */
export function abortReasonName(reason: number): string {
  return ABORT_REASON_WORDS[reason] ?? `unknown reason ${reason}`;
}

/**
 * An A-ABORT in the standard's words, e.g. "DICOM UL service-provider (initiated abort): unexpected-PDU".
 * The reason is given only for a service-provider abort (it is not significant otherwise).
 */
export function describeAbort(abort: Pick<AAbort, 'source' | 'reason'>): string {
  const source = ABORT_SOURCE_WORDS[abort.source] ?? `unknown source ${abort.source}`;
  return abort.source === AbortSource.ServiceProvider
    ? `${source}: ${abortReasonName(abort.reason)}`
    : source;
}

/**
 * A PDU (or a stream of PDUs) is malformed. `offset` is the byte offset in the PDU, its 6-byte header
 * included; `abortReason` is the A-ABORT reason the association layer should answer with.
 */
export class PduDecodeError extends Error {
  override readonly name = 'PduDecodeError';
  constructor(
    message: string,
    readonly offset: number,
    readonly abortReason: number = AbortReason.InvalidPduParameterValue,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

/** A PDU cannot be encoded as given (a value does not fit its field). */
export class PduEncodeError extends Error {
  override readonly name = 'PduEncodeError';
}
