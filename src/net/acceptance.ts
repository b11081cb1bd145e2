/**
 * Association acceptance (PS3.8 7.1.1, PS3.7 D.3.3): decides on an A-ASSOCIATE-RQ from plain policy data —
 * in the server, Conquest's dgatesop.lst (accepted SOP classes, transfer syntaxes in order of preference,
 * application contexts, LocalAE/RemoteAE lists). Rejections carry the PS3.8 result/source/reason; each
 * presentation context gets its own result.
 */
import type { AssociateDecision } from './association.js';
import {
  type AAssociateAc,
  type AAssociateRq,
  DICOM_APPLICATION_CONTEXT_NAME,
  PresentationContextResult,
  RejectReason,
  RejectResult,
  RejectSource,
  type ScpScuRoleSelection,
  type UserInformation,
} from './pdu.js';

export interface AcceptancePolicy {
  /** Accepted abstract syntaxes (SOP classes). */
  abstractSyntaxes: ReadonlySet<string>;
  /**
   * Accepted transfer syntaxes (dgatesop.lst order). For each context the first syntax the peer proposes that is
   * in this list is chosen, as Conquest does: the requester orders its proposals by its own preference.
   */
  transferSyntaxes: readonly string[];
  /** Accepted application context names; the DICOM one when empty. */
  applicationContexts: ReadonlySet<string>;
  /** Called AE titles accepted (LocalAE lines); any when empty. Compared after removing a `~xx` suffix. */
  localAETitles: readonly string[];
  /** Calling AE titles accepted (RemoteAE lines); any when empty. */
  remoteAETitles: readonly string[];
  /** Announced maximum P-DATA-TF length we receive. */
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

/** What acceptance learned beyond the A-ASSOCIATE-AC: the called AE and its `~xx` compression override. */
export interface AcceptanceOutcome {
  decision: AssociateDecision;
  /** The called AE title without `~xx`. */
  calledAETitle: string;
  /** The two letters after `~` in a called AE such as `SERVER~j2` (Conquest's per-association compression). */
  compressionOverride: string | undefined;
}

/** Splits Conquest's `SERVER~xx` called AE into the title and the compression override. */
export function splitCalledAETitle(called: string): { title: string; override: string | undefined } {
  const tilde = called.indexOf('~');
  if (tilde < 0) return { title: called, override: undefined };
  return { title: called.slice(0, tilde), override: called.slice(tilde + 1) || undefined };
}

function matchesAE(list: readonly string[], ae: string): boolean {
  return list.length === 0 || list.some((a) => a === ae);
}

export function negotiateAssociation(rq: AAssociateRq, policy: AcceptancePolicy): AcceptanceOutcome {
  const { title, override } = splitCalledAETitle(rq.calledAETitle);
  const reject = (source: number, reason: number, why: string): AcceptanceOutcome => ({
    decision: { reject: { result: RejectResult.RejectedPermanent, source, reason }, why },
    calledAETitle: title,
    compressionOverride: override,
  });
  if ((rq.protocolVersion & 1) === 0) {
    return reject(
      RejectSource.ServiceProviderAcse,
      RejectReason.ServiceProviderAcse.ProtocolVersionNotSupported,
      `protocol version ${rq.protocolVersion} not supported`,
    );
  }
  const contexts = policy.applicationContexts.size
    ? policy.applicationContexts
    : new Set([DICOM_APPLICATION_CONTEXT_NAME]);
  if (!contexts.has(rq.applicationContextName)) {
    return reject(
      RejectSource.ServiceUser,
      RejectReason.ServiceUser.ApplicationContextNameNotSupported,
      `application context ${rq.applicationContextName} not supported`,
    );
  }
  if (!matchesAE(policy.localAETitles, title)) {
    return reject(
      RejectSource.ServiceUser,
      RejectReason.ServiceUser.CalledAETitleNotRecognized,
      `called AE '${title}' is not a LocalAE in dgatesop.lst`,
    );
  }
  if (!matchesAE(policy.remoteAETitles, rq.callingAETitle)) {
    return reject(
      RejectSource.ServiceUser,
      RejectReason.ServiceUser.CallingAETitleNotRecognized,
      `calling AE '${rq.callingAETitle}' is not a RemoteAE in dgatesop.lst`,
    );
  }
  const accepted = new Set(policy.transferSyntaxes);
  const presentationContexts = rq.presentationContexts.map((pc) => {
    if (!policy.abstractSyntaxes.has(pc.abstractSyntax)) {
      return { id: pc.id, result: PresentationContextResult.AbstractSyntaxNotSupported, transferSyntax: '' };
    }
    // As Conquest does: the first syntax the peer proposes that is accepted (the peer orders by its preference).
    const chosen = pc.transferSyntaxes.find((ts) => accepted.has(ts));
    if (!chosen)
      return {
        id: pc.id,
        result: PresentationContextResult.TransferSyntaxesNotSupported,
        transferSyntax: '',
      };
    return { id: pc.id, result: PresentationContextResult.Acceptance, transferSyntax: chosen };
  });
  const ac: AAssociateAc = {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAETitle: rq.calledAETitle,
    callingAETitle: rq.callingAETitle,
    applicationContextName: rq.applicationContextName,
    presentationContexts,
    userInformation: answerUserInformation(rq.userInformation, policy),
  };
  return { decision: { accept: ac }, calledAETitle: title, compressionOverride: override };
}

function answerUserInformation(asked: UserInformation, policy: AcceptancePolicy): UserInformation {
  const ui: UserInformation = {
    maxPduLength: policy.maxPduLength,
    implementationClassUid: policy.implementationClassUid,
    implementationVersionName: policy.implementationVersionName,
  };
  if (asked.asynchronousOperationsWindow) {
    // Operations are performed one at a time (the default window), as Conquest does.
    ui.asynchronousOperationsWindow = { maxOperationsInvoked: 1, maxOperationsPerformed: 1 };
  }
  const roles: ScpScuRoleSelection[] = [];
  for (const r of asked.scpScuRoleSelections ?? []) {
    if (!policy.abstractSyntaxes.has(r.sopClassUid)) continue;
    // We accept both roles as proposed: the peer as SCU (it asks us), and as SCP (C-GET: we send it objects).
    roles.push({ sopClassUid: r.sopClassUid, scuRole: r.scuRole, scpRole: r.scpRole });
  }
  if (roles.length) ui.scpScuRoleSelections = roles;
  if (asked.userIdentity?.positiveResponseRequested) {
    // PS3.7 D.3.3.7.2: for username (and passcode) identities the server response is empty.
    ui.userIdentityResponse = { serverResponse: Buffer.alloc(0) };
  }
  return ui;
}
