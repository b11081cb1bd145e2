/**
 * The SCU side (PS3.7, PS3.8): `DicomClient` opens an association, proposes presentation contexts, sends
 * requests and releases. Many objects go over one association; the data set of a stored file streams from
 * disk, never parsed beyond its header.
 */
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Dataset } from '../dicom/dataset.js';
import { storageSopClasses } from '../dicom/dictionary/index.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/implementation.js';
import { type DicomFile, parseDicom, readDicomFile } from '../dicom/reader.js';
import type { TransferSyntax } from '../dicom/transfer-syntax.js';
import {
  ExplicitVRBigEndian,
  ExplicitVRLittleEndian,
  ImplicitVRLittleEndian,
} from '../dicom/transfer-syntax.js';
import { encodeFileHead, writeDataset } from '../dicom/writer.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import {
  Association,
  AssociationError,
  type AssociationHandlers,
  type AssociationTimeouts,
  type DataSetSource,
  type DimseMessage,
  readDataSet,
} from './association.js';
import { type Command, CommandField, commandFieldName, Priority } from './dimse/command.js';
import { Status } from './dimse/status.js';
import { type AAssociateRq, DICOM_APPLICATION_CONTEXT_NAME, type ScpScuRoleSelection } from './pdu.js';

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Files up to this size are read whole to be sent; larger ones are streamed from disk. */
const SMALL_FILE = 16 << 20;

export interface ProposedContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
  /** SCP/SCU role selection to propose for this SOP class (C-GET: scpRole for the storage classes). */
  roles?: { scuRole: boolean; scpRole: boolean };
}

export interface DicomClientOptions {
  host: string;
  port: number;
  callingAETitle: string;
  calledAETitle: string;
  /** Largest P-DATA-TF we accept (announced). */
  maxPduLength?: number;
  timeouts?: Partial<AssociationTimeouts>;
  /** TCP connect timeout (ms). */
  connectTimeoutMs?: number;
  log?: Logger;
}

/** A file to send: its SOP class/instance and syntax from its header, and where its data set starts. */
export interface StorableFile {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax: TransferSyntax;
  datasetOffset: number;
}

/** Reads what sending a file needs from its header (the data set itself is streamed at send time). */
export async function describeFile(path: string): Promise<StorableFile> {
  return storableFileOf(path, await readDicomFile(path, { stopBeforeTag: STORABLE_HEADER_END }));
}

/** Where a header read for describing a file may stop: after SOP Instance UID (0008,0018). */
export const STORABLE_HEADER_END = 0x00080019;

/** What sending needs, from a file's header (read at least up to STORABLE_HEADER_END). */
export function storableFileOf(path: string, f: DicomFile): StorableFile {
  const sopClassUid = f.dataset.string('SOPClassUID') ?? f.meta.string(0x00020002);
  const sopInstanceUid = f.dataset.string('SOPInstanceUID') ?? f.meta.string(0x00020003);
  if (!sopClassUid || !sopInstanceUid)
    throw new AssociationError(`${path} has no SOP Class UID or SOP Instance UID`);
  return {
    path,
    sopClassUid,
    sopInstanceUid,
    transferSyntax: f.transferSyntax,
    datasetOffset: f.datasetOffset,
  };
}

/** Contexts for sending these files as they are: per SOP class one with the files' own syntaxes, one native fallback. */
export function contextsForFiles(files: readonly StorableFile[]): ProposedContext[] {
  const bySop = new Map<string, Set<string>>();
  for (const f of files) {
    const set = bySop.get(f.sopClassUid) ?? new Set<string>();
    bySop.set(f.sopClassUid, set);
    set.add(f.transferSyntax.uid);
  }
  const out: ProposedContext[] = [];
  for (const [sop, syntaxes] of bySop) {
    for (const ts of syntaxes) out.push({ abstractSyntax: sop, transferSyntaxes: [ts] });
  }
  return out.slice(0, 128);
}

const NATIVE = [ExplicitVRLittleEndian.uid, ImplicitVRLittleEndian.uid, ExplicitVRBigEndian.uid];

/**
 * What a C-GET SCU does with each object the peer sends back (a C-STORE sub-operation on the same
 * association): `dataSet` is the data set's bytes in `transferSyntax`, streamed as they arrive; it must be
 * read (or is drained after). Resolves with the C-STORE status to answer (0 = success).
 */
export type GetStoreHandler = (
  sopClassUid: string,
  sopInstanceUid: string,
  transferSyntax: string,
  dataSet: Readable,
) => Promise<number>;

export class DicomClient {
  /** The C-STORE handler of the C-GET in progress; incoming C-STORE-RQs outside a C-GET are refused. */
  private storeHandler: GetStoreHandler | undefined;
  /** Incoming sub-operations are handled one after the other, in the order they arrive. */
  private incoming: Promise<void> = Promise.resolve();

  private constructor(
    readonly association: Association,
    private readonly proposed: readonly ProposedContext[],
  ) {}

  /**
   * A client over an association that is already open, e.g. the one a C-GET arrived on: the storage
   * sub-operations go back over it, in the contexts the peer proposed (with the SCP role).
   */
  static over(association: Association): DicomClient {
    return new DicomClient(association, []);
  }

  /** Connects and negotiates; throws AssociationRejectedError or a connection error. */
  static async connect(
    options: DicomClientOptions,
    contexts: readonly ProposedContext[],
  ): Promise<DicomClient> {
    if (contexts.length === 0 || contexts.length > 128)
      throw new AssociationError(`between 1 and 128 presentation contexts, not ${contexts.length}`);
    const log = options.log ?? silentLogger;
    const socket = await openSocket(options.host, options.port, options.connectTimeoutMs ?? 30_000);
    const maxPduLength = options.maxPduLength ?? 131072;
    // The requestor answers requests the peer sends on this association (C-STORE during a C-GET): the
    // handler is bound to the client once it exists, before anything can arrive.
    const handlers: AssociationHandlers = {};
    const assoc = new Association(
      socket,
      'requestor',
      maxPduLength,
      { artimMs: options.timeouts?.artimMs ?? 30_000, idleMs: options.timeouts?.idleMs ?? 0 },
      handlers,
      log,
    );
    const roles: ScpScuRoleSelection[] = [];
    for (const c of contexts)
      if (c.roles && !roles.some((r) => r.sopClassUid === c.abstractSyntax))
        roles.push({ sopClassUid: c.abstractSyntax, ...c.roles });
    const rq: AAssociateRq = {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAETitle: options.calledAETitle,
      callingAETitle: options.callingAETitle,
      applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
      presentationContexts: contexts.map((c, i) => ({
        id: 2 * i + 1,
        abstractSyntax: c.abstractSyntax,
        transferSyntaxes: c.transferSyntaxes,
      })),
      userInformation: {
        maxPduLength,
        implementationClassUid: IMPLEMENTATION_CLASS_UID,
        implementationVersionName: IMPLEMENTATION_VERSION_NAME,
        ...(roles.length ? { scpScuRoleSelections: roles } : {}),
      },
    };
    try {
      await assoc.open(rq);
    } catch (e) {
      socket.destroy();
      throw e;
    }
    const client = new DicomClient(assoc, contexts);
    handlers.onRequest = (message) => client.onIncomingRequest(message);
    return client;
  }

  /** The accepted context for an abstract syntax, preferring the given transfer syntaxes in order. */
  findContext(
    abstractSyntax: string,
    preferred: readonly string[] = [],
  ): { id: number; transferSyntax: string } | undefined {
    const candidates = [...this.association.contexts.values()].filter(
      (c) => c.abstractSyntax === abstractSyntax,
    );
    for (const ts of preferred) {
      const c = candidates.find((x) => x.transferSyntax === ts);
      if (c) return c;
    }
    return candidates[0];
  }

  /** C-ECHO (PS3.7 9.1.5); resolves with the response status. */
  async echo(): Promise<number> {
    return (await this.echoCommand()).status ?? 0xffff;
  }

  /**
   * C-ECHO with extra command elements (Conquest's server commands travel in (9999,xxxx) of the command
   * set); resolves with the whole response command, extra elements included.
   */
  async echoCommand(extra?: Dataset): Promise<Command> {
    const ctx = this.findContext(VERIFICATION_SOP_CLASS);
    if (!ctx) throw new AssociationError('Verification was not accepted');
    const rsp = await this.association.sendRequest(ctx.id, {
      commandField: CommandField.C_ECHO_RQ,
      affectedSopClassUid: VERIFICATION_SOP_CLASS,
      hasDataSet: false,
      ...(extra ? { extra } : {}),
    });
    return rsp.command;
  }

  /**
   * C-STORE (PS3.7 9.1.1) of a data set already encoded in `transferSyntax`; resolves with the response.
   * `moveOriginator` is set for the sub-operations of a C-MOVE.
   */
  async store(
    sopClassUid: string,
    sopInstanceUid: string,
    transferSyntax: string,
    dataSet: DataSetSource,
    moveOriginator?: { aeTitle: string; messageId: number },
    /** Called once the request is written, before the response comes (e.g. to read the next object). */
    onSent?: () => void,
  ): Promise<DimseMessage> {
    const ctx = this.findContext(sopClassUid, [transferSyntax]);
    if (!ctx || ctx.transferSyntax !== transferSyntax) {
      throw new AssociationError(`no accepted presentation context for ${sopClassUid} in ${transferSyntax}`);
    }
    return this.association.sendRequest(
      ctx.id,
      {
        commandField: CommandField.C_STORE_RQ,
        affectedSopClassUid: sopClassUid,
        affectedSopInstanceUid: sopInstanceUid,
        priority: Priority.MEDIUM,
        hasDataSet: true,
        ...(moveOriginator
          ? {
              moveOriginatorApplicationEntityTitle: moveOriginator.aeTitle,
              moveOriginatorMessageId: moveOriginator.messageId,
            }
          : {}),
      },
      dataSet,
      undefined,
      onSent,
    );
  }

  /** C-STORE of a file as it is: its data set bytes stream from disk. */
  async storeFile(
    file: StorableFile,
    moveOriginator?: { aeTitle: string; messageId: number },
  ): Promise<number> {
    const ctx = this.findContext(file.sopClassUid, [file.transferSyntax.uid]);
    if (!ctx || ctx.transferSyntax !== file.transferSyntax.uid) {
      const accepted = ctx ? ctx.transferSyntax : 'nothing';
      throw new AssociationError(
        `${file.path}: the peer accepted ${accepted} for ${file.sopClassUid}, not the file's ${file.transferSyntax.name} (transcoding comes with the codecs)`,
      );
    }
    // Small files in one read (each trip to the thread pool costs more than reading them); large ones stream.
    const size = statSync(file.path).size;
    const dataSet =
      size <= SMALL_FILE
        ? readFileSync(file.path).subarray(file.datasetOffset)
        : createReadStream(file.path, { start: file.datasetOffset, highWaterMark: 1 << 20 });
    const rsp = await this.store(
      file.sopClassUid,
      file.sopInstanceUid,
      file.transferSyntax.uid,
      dataSet,
      moveOriginator,
    );
    return rsp.command.status ?? 0xffff;
  }

  get proposedContexts(): readonly ProposedContext[] {
    return this.proposed;
  }

  /**
   * C-FIND (PS3.7 9.1.2): sends the identifier (encoded in the accepted syntax) and calls onMatch with each
   * pending response's identifier bytes; resolves with the final status.
   */
  async find(
    sopClassUid: string,
    identifier: Dataset,
    onMatch: (response: Dataset) => void,
  ): Promise<number> {
    const ctx = this.requireContext(sopClassUid);
    // Matches are delivered in order: each waits for the one before it.
    let delivered: Promise<void> = Promise.resolve();
    const rsp = await this.association.sendRequest(
      ctx.id,
      {
        commandField: CommandField.C_FIND_RQ,
        affectedSopClassUid: sopClassUid,
        priority: Priority.MEDIUM,
        hasDataSet: true,
      },
      writeDataset(identifier, ctx.transferSyntax),
      (pending) => {
        if (!pending.dataSet) return;
        const bytes = readDataSet(pending.dataSet);
        delivered = delivered.then(async () =>
          onMatch(parseDicom(await bytes, { transferSyntax: ctx.transferSyntax }).dataset),
        );
      },
    );
    rsp.dataSet?.resume();
    await delivered;
    return rsp.command.status ?? 0xffff;
  }

  /** C-FIND collecting every match; resolves with the final status and the matches in the order received. */
  async findAll(sopClassUid: string, identifier: Dataset): Promise<{ status: number; matches: Dataset[] }> {
    const matches: Dataset[] = [];
    const status = await this.find(sopClassUid, identifier, (m) => matches.push(m));
    return { status, matches };
  }

  /** C-MOVE (PS3.7 9.1.4) to `destination`; resolves with the final response's status and counts. */
  async move(
    sopClassUid: string,
    destination: string,
    identifier: Dataset,
    onPending?: (m: RetrieveProgress) => void,
  ): Promise<RetrieveProgress> {
    const ctx = this.requireContext(sopClassUid);
    const rsp = await this.association.sendRequest(
      ctx.id,
      {
        commandField: CommandField.C_MOVE_RQ,
        affectedSopClassUid: sopClassUid,
        priority: Priority.MEDIUM,
        moveDestination: destination,
        hasDataSet: true,
      },
      writeDataset(identifier, ctx.transferSyntax),
      (pending) => {
        pending.dataSet?.resume();
        onPending?.(progressOf(pending));
      },
    );
    return finalProgress(rsp);
  }

  /**
   * C-GET (PS3.4 C.4.3, PS3.7 9.1.3): the peer sends the matching objects back over this association as
   * C-STORE sub-operations, each handed to `onStore` and answered with the status it resolves with (0x0110
   * when it throws). The association must have been opened with the storage SOP classes proposed in the SCP
   * role (see getContexts). Pending C-GET responses go to onPending; resolves with the final status and
   * counts, and the Failed SOP Instance UID List of the final response.
   */
  async get(
    sopClassUid: string,
    identifier: Dataset,
    onStore: GetStoreHandler,
    onPending?: (m: RetrieveProgress) => void,
  ): Promise<RetrieveProgress> {
    const ctx = this.requireContext(sopClassUid);
    if (this.storeHandler) throw new AssociationError('a C-GET is already in progress on this association');
    this.storeHandler = onStore;
    try {
      const rsp = await this.association.sendRequest(
        ctx.id,
        {
          commandField: CommandField.C_GET_RQ,
          affectedSopClassUid: sopClassUid,
          priority: Priority.MEDIUM,
          hasDataSet: true,
        },
        writeDataset(identifier, ctx.transferSyntax),
        (pending) => {
          pending.dataSet?.resume();
          onPending?.(progressOf(pending));
        },
      );
      // The final response follows the last sub-operation's C-STORE-RSP; let its handler finish first.
      await this.incoming;
      return await finalProgress(rsp);
    } finally {
      this.storeHandler = undefined;
    }
  }

  /** A request from the peer on this (requestor) association: only C-STORE during a C-GET is served. */
  private onIncomingRequest(message: DimseMessage): void {
    this.incoming = this.incoming.then(() => this.answerIncoming(message));
  }

  private async answerIncoming(message: DimseMessage): Promise<void> {
    const { command, context, dataSet } = message;
    const respond = (status: number, errorComment?: string): Promise<void> =>
      this.association
        .send(context.id, {
          commandField: command.commandField | 0x8000,
          messageIdBeingRespondedTo: command.messageId ?? 0,
          affectedSopClassUid: command.affectedSopClassUid ?? context.abstractSyntax,
          ...(command.affectedSopInstanceUid !== undefined
            ? { affectedSopInstanceUid: command.affectedSopInstanceUid }
            : {}),
          hasDataSet: false,
          status,
          ...(errorComment ? { errorComment: errorComment.slice(0, 64) } : {}),
        })
        .catch((e: unknown) => this.association.log.warn(`cannot answer the peer: ${(e as Error).message}`));
    const handler = this.storeHandler;
    if (command.commandField !== CommandField.C_STORE_RQ || !handler || !dataSet) {
      dataSet?.resume();
      const what = commandFieldName(command.commandField);
      this.association.log.warn(`${what} from the peer outside a C-GET: refused`);
      await respond(
        command.commandField === CommandField.C_STORE_RQ
          ? Status.ProcessingFailure
          : Status.UnrecognizedOperation,
        `unexpected ${what}`,
      );
      return;
    }
    let status: number;
    try {
      status = await handler(
        command.affectedSopClassUid ?? context.abstractSyntax,
        command.affectedSopInstanceUid ?? '',
        context.transferSyntax,
        dataSet,
      );
    } catch (e) {
      this.association.log.warn(
        `C-GET: storing ${command.affectedSopInstanceUid ?? '?'} failed: ${(e as Error).message}`,
      );
      status = Status.ProcessingFailure;
    }
    // Whatever the handler left unread is drained, so that the association goes on.
    if (!dataSet.readableEnded) dataSet.resume();
    await respond(status);
  }

  private requireContext(sopClassUid: string): { id: number; transferSyntax: string } {
    const ctx = this.findContext(sopClassUid, NATIVE);
    if (!ctx) throw new AssociationError(`${sopClassUid} was not accepted`);
    return ctx;
  }

  async release(): Promise<void> {
    await this.association.release();
  }

  abort(): void {
    this.association.abort();
  }
}

export { NATIVE as NATIVE_TRANSFER_SYNTAXES };

/** Status and sub-operation counts of a C-MOVE or C-GET response. */
export interface RetrieveProgress {
  status: number;
  remaining: number | undefined;
  completed: number;
  failed: number;
  warning: number;
  /** Failed SOP Instance UID List (0008,0058) of a final response; [] when none was sent. */
  failedSopInstanceUids: string[];
}

function progressOf(m: DimseMessage): RetrieveProgress {
  const c = m.command;
  return {
    status: c.status ?? 0xffff,
    remaining: c.numberOfRemainingSuboperations,
    completed: c.numberOfCompletedSuboperations ?? 0,
    failed: c.numberOfFailedSuboperations ?? 0,
    warning: c.numberOfWarningSuboperations ?? 0,
    failedSopInstanceUids: [],
  };
}

/** A final C-MOVE/C-GET response: its counts, and the failed UIDs from its data set when it has one. */
async function finalProgress(m: DimseMessage): Promise<RetrieveProgress> {
  const progress = progressOf(m);
  if (!m.dataSet) return progress;
  const bytes = await readDataSet(m.dataSet);
  if (bytes.length === 0) return progress;
  try {
    const ds = parseDicom(bytes, { transferSyntax: m.context.transferSyntax }).dataset;
    progress.failedSopInstanceUids = ds.strings(0x00080058);
  } catch {
    // An unreadable identifier on a final response does not change its status and counts.
  }
  return progress;
}

/** C-GET SOP classes (PS3.4 C.6): Patient Root, Study Root, Patient/Study Only. */
export const GET_SOP_CLASSES = {
  PATIENT: '1.2.840.10008.5.1.4.1.2.1.3',
  STUDY: '1.2.840.10008.5.1.4.1.2.2.3',
  PATIENTSTUDYONLY: '1.2.840.10008.5.1.4.1.2.3.3',
} as const;

/**
 * The presentation contexts to propose for a C-GET: the Get SOP class itself, then one context per storage
 * SOP class (e.g. the storage classes of dgatesop.lst) in the SCP role, offering `transferSyntaxes` in order
 * of preference — the peer sends each object in the syntax it accepted. At most 128 contexts in all: storage
 * classes beyond that are left out (PS3.8 allows 128 per association).
 */
export function getContexts(
  getSopClass: string,
  storageSopClasses: Iterable<string>,
  transferSyntaxes: readonly string[] = NATIVE,
): ProposedContext[] {
  const out: ProposedContext[] = [{ abstractSyntax: getSopClass, transferSyntaxes: [...NATIVE] }];
  const seen = new Set<string>();
  for (const sop of storageSopClasses) {
    if (out.length >= 128) break;
    if (seen.has(sop)) continue;
    seen.add(sop);
    out.push({
      abstractSyntax: sop,
      transferSyntaxes: [...transferSyntaxes],
      roles: { scuRole: false, scpRole: true },
    });
  }
  return out;
}

/**
 * The storage SOP classes among these UIDs, in their order — e.g. dgatesop.lst's accepted SOP classes
 * (`config.sopList.abstractSyntaxes().keys()`), to propose with getContexts.
 */
export function storageClassesAmong(uids: Iterable<string>): string[] {
  const storage = new Set(storageSopClasses().map((u) => u.uid));
  return [...uids].filter((uid) => storage.has(uid));
}

/**
 * A C-GET store handler that writes each object as a Part 10 file `<SOP Instance UID>.dcm` in `folder`
 * (created when missing): the meta header is built, the data set bytes are written as received. `files`
 * lists the paths written, in arrival order.
 */
export function part10FolderWriter(folder: string): { onStore: GetStoreHandler; files: string[] } {
  const files: string[] = [];
  const onStore: GetStoreHandler = async (sopClassUid, sopInstanceUid, transferSyntax, dataSet) => {
    if (!/^[0-9.]+$/.test(sopInstanceUid))
      throw new AssociationError(`'${sopInstanceUid}' is not a SOP Instance UID to name a file after`);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${sopInstanceUid}.dcm`);
    const meta = new Dataset();
    meta.setStrings(0x00020002, sopClassUid, 'UI');
    meta.setStrings(0x00020003, sopInstanceUid, 'UI');
    const out = createWriteStream(path);
    out.write(encodeFileHead(meta, new Dataset(), transferSyntax));
    try {
      await pipeline(dataSet, out);
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
    files.push(path);
    return Status.Success;
  };
  return { onStore, files };
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AssociationError(`connecting to ${host}:${port} timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      // The system's code (ECONNREFUSED...) stays on the error: callers tell "no server" from other failures.
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        Object.assign(new AssociationError(`cannot connect to ${host}:${port}: ${e.message}`), { code }),
      );
    });
  });
}
