/**
 * DIMSE status codes (PS3.7 Annex C, and the service-specific ones of PS3.4), with their categories.
 */
export const Status = {
  Success: 0x0000,
  Pending: 0xff00,
  /** C-FIND: pending, some optional keys were not supported. */
  PendingWarning: 0xff01,
  Cancel: 0xfe00,
  /** C-STORE warnings (PS3.4 B.2.3). */
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  /** Sub-operations complete, one or more failures or warnings (C-MOVE/C-GET). */
  SubOperationsCompleteWithFailures: 0xb000,
  /** General failures (PS3.7 C.5). */
  ProcessingFailure: 0x0110,
  DuplicateSopInstance: 0x0111,
  NoSuchSopInstance: 0x0112,
  NoSuchAttribute: 0x0105,
  InvalidAttributeValue: 0x0106,
  SopClassNotSupported: 0x0122,
  ClassInstanceConflict: 0x0119,
  InvalidArgumentValue: 0x0115,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ResourceLimitation: 0x0213,
  NotAuthorized: 0x0124,
  /** C-STORE failures (PS3.4 B.2.3): Axxx out of resources, A9xx data set does not match, Cxxx cannot understand. */
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  /** C-FIND/C-MOVE/C-GET failures (PS3.4 C.4). */
  OutOfResourcesMatches: 0xa700,
  OutOfResourcesSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  IdentifierDoesNotMatchSopClass: 0xa900,
  UnableToProcess: 0xc000,
} as const;

export type StatusCategory = 'success' | 'pending' | 'cancel' | 'warning' | 'failure';

export function statusCategory(status: number): StatusCategory {
  if (status === 0x0000) return 'success';
  if (status === 0xff00 || status === 0xff01) return 'pending';
  if (status === 0xfe00) return 'cancel';
  if (status === 0x0001 || (status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116)
    return 'warning';
  return 'failure';
}

export function formatStatus(status: number): string {
  return `0x${status.toString(16).toUpperCase().padStart(4, '0')} (${statusCategory(status)})`;
}
