/**
 * A DICOM association over one TCP socket (PS3.8 9.2): the upper-layer state machine for both roles, the
 * ARTIM timer, negotiation of the presentation contexts, and DIMSE message framing on P-DATA (PS3.7 9.3,
 * PS3.8 Annex E). Data sets arrive as a stream per message, so memory per association stays bounded; data
 * sets are sent in PDVs no larger than the peer's maximum, the command and the first data fragment in one
 * write, with back-pressure on the socket.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from '../logging/logger.js';
import {
  type Command,
  commandFieldName,
  DimseError,
  decodeCommand,
  encodeCommand,
  isResponse,
} from './dimse/command.js';
import {
  type AAbort,
  type AAssociateAc,
  type AAssociateRj,
  type AAssociateRq,
  AbortReason,
  AbortSource,
  decodePduBody,
  describeAbort,
  describeRejection,
  encodePDataTf,
  encodePdu,
  type Pdu,
  PduDecodeError,
  PduFramer,
  type PresentationDataValue,
} from './pdu.js';

/** PS3.8 table 9-10. */
export type AssociationState =
  | 'Sta1' // idle
  | 'Sta2' // transport open, awaiting A-ASSOCIATE-RQ
  | 'Sta3' // awaiting the local A-ASSOCIATE response
  | 'Sta4' // awaiting transport connection
  | 'Sta5' // awaiting A-ASSOCIATE-AC or -RJ
  | 'Sta6' // association established
  | 'Sta7' // awaiting A-RELEASE-RP
  | 'Sta8' // awaiting the local A-RELEASE response
  | 'Sta13'; // awaiting transport close

export interface AssociationTimeouts {
  /** ARTIM: how long to wait for an A-ASSOCIATE-RQ/AC/RJ, an A-RELEASE-RP, or the peer's close (ms). */
  artimMs: number;
  /** An established association with no traffic for this long is aborted (Conquest's TCPIPTimeOut), ms; 0 = none. */
  idleMs: number;
}

/** A presentation context both sides agreed on. */
export interface AcceptedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

/** A DIMSE message as received: the command, and the data set (if any) as a stream of raw bytes. */
export interface DimseMessage {
  context: AcceptedContext;
  command: Command;
  /** The data set's bytes in context.transferSyntax, streamed as P-DATA arrives; undefined when none. */
  dataSet: Readable | undefined;
}

/** What a data set to send may be: bytes, a list of buffers (sent without copying), or a stream of them. */
export type DataSetSource = Buffer | readonly Buffer[] | AsyncIterable<Buffer>;

export class AssociationError extends Error {
  override readonly name: string = 'AssociationError';
}

export class AssociationRejectedError extends AssociationError {
  override readonly name = 'AssociationRejectedError';
  constructor(readonly rejection: AAssociateRj) {
    super(`association rejected: ${describeRejection(rejection)}`);
  }
}

export class AssociationAbortedError extends AssociationError {
  override readonly name = 'AssociationAbortedError';
  constructor(
    message: string,
    readonly abort?: AAbort,
  ) {
    super(message);
  }
}

/** Reads a (small) data set stream whole: identifiers and responses are a few hundred bytes. */
export async function readDataSet(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Largest PDV we send when the peer announced no limit (maximum length 0). */
const UNLIMITED_PDV = 1 << 20;

/** Our side's answer to an A-ASSOCIATE-RQ (acceptor role), decided by the server's policy. */
export type AssociateDecision =
  | { accept: AAssociateAc }
  | { reject: Omit<AAssociateRj, 'type'>; why: string };

export interface AssociationHandlers {
  /** Acceptor: decide on the A-ASSOCIATE-RQ. */
  negotiate?(rq: AAssociateRq): AssociateDecision;
  /** A request (or, for a requestor, an unsolicited request such as a C-STORE during C-GET) has arrived. */
  onRequest?(message: DimseMessage, association: Association): void;
}

interface PendingMessage {
  context: AcceptedContext;
  commandParts: Buffer[];
  command: Command | undefined;
  dataSet: IncomingDataSet | undefined;
}

/** The data set of one message as a Readable: pausing the stream pauses the socket (back-pressure). */
class IncomingDataSet extends Readable {
  constructor(private readonly onWanted: () => void) {
    super({ highWaterMark: 4 << 20 });
    // The connection may fail before the handler starts reading (it may be opening a file): the error is kept
    // by the stream and thrown to whoever reads it, never raised as an uncaught 'error' event.
    this.on('error', () => undefined);
  }

  override _read(): void {
    this.onWanted();
  }
}

export class Association {
  state: AssociationState;
  readonly peerAddress: string;
  readonly peerPort: number;
  callingAETitle = '';
  calledAETitle = '';
  /** The A-ASSOCIATE-RQ as received (acceptor) or sent (requestor). */
  request: AAssociateRq | undefined;
  /** The A-ASSOCIATE-AC as sent (acceptor) or received (requestor). */
  accept: AAssociateAc | undefined;
  readonly contexts = new Map<number, AcceptedContext>();
  /** Largest P-DATA-TF PDU length the peer accepts (0 = no limit). */
  peerMaxPduLength = 0;
  /** Why the association ended, once it has. */
  endReason: Error | undefined;
  /** Resolves when the socket has closed, however the association ended. */
  readonly closed: Promise<void>;

  private readonly framer: PduFramer;
  private artim: NodeJS.Timeout | undefined;
  private pending: PendingMessage | undefined;
  /** Requests awaiting their response, by Message ID; all are rejected when the association ends. */
  private readonly responseWaiters = new Map<number, (m: DimseMessage) => void>();
  private readonly responseRejects = new Map<number, (e: Error) => void>();
  private connectWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private releaseWaiter: (() => void) | undefined;
  private nextMessageId = 1;
  private writeQueue: Promise<void> = Promise.resolve();
  private paused = false;
  /** The last command set encoded, to reuse for an identical next one. */
  private lastCommand: { command: Command; bytes: Buffer } | undefined;

  constructor(
    readonly socket: Socket,
    readonly role: 'acceptor' | 'requestor',
    readonly ourMaxPduLength: number,
    private readonly timeouts: AssociationTimeouts,
    private readonly handlers: AssociationHandlers,
    readonly log: Logger,
  ) {
    this.state = role === 'acceptor' ? 'Sta2' : 'Sta4';
    this.peerAddress = (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
    this.peerPort = socket.remotePort ?? 0;
    this.framer = new PduFramer({
      maxPduLength: ourMaxPduLength,
      onPdu: (type, body) => this.onPdu(type, body),
    });
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new AssociationAbortedError(`connection error: ${e.message}`)));
    socket.on('close', () => this.onClose());
    if (timeouts.idleMs > 0) {
      socket.setTimeout(timeouts.idleMs, () =>
        this.abortWith(`no activity for ${timeouts.idleMs / 1000} s (TCPIPTimeOut)`),
      );
    }
    if (role === 'acceptor') this.startArtim('waiting for A-ASSOCIATE-RQ');
  }

  /**
   * Stops the idle timeout (TCPIPTimeOut) while this side works on a request that may take longer than it
   * without sending anything (a server command such as a regen); the returned function restores it.
   */
  suspendIdleTimeout(): () => void {
    const ms = this.timeouts.idleMs;
    if (ms <= 0) return () => {};
    this.socket.setTimeout(0);
    return () => {
      if (!this.socket.destroyed) this.socket.setTimeout(ms);
    };
  }

  /** The next Message ID for a request this side sends. */
  newMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 0xffff) + 1;
    return id;
  }

  // ---- requestor: open and release ----------------------------------------------------------------

  /** Requestor: send the A-ASSOCIATE-RQ on a connected socket and wait for the AC (or the RJ, thrown). */
  async open(rq: AAssociateRq): Promise<void> {
    if (this.role !== 'requestor' || this.state !== 'Sta4')
      throw new AssociationError(`cannot open in ${this.state}`);
    this.request = rq;
    this.callingAETitle = rq.callingAETitle;
    this.calledAETitle = rq.calledAETitle;
    const done = new Promise<void>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
    });
    this.state = 'Sta5';
    this.startArtim('waiting for A-ASSOCIATE-AC');
    this.socket.write(encodePdu(rq));
    return done;
  }

  /** Sends A-RELEASE-RQ and waits for the RP; the socket is then closed. */
  async release(): Promise<void> {
    if (this.state !== 'Sta6') return;
    const done = new Promise<void>((resolve) => {
      this.releaseWaiter = resolve;
    });
    await this.writeQueue;
    this.state = 'Sta7';
    this.startArtim('waiting for A-RELEASE-RP');
    this.socket.write(encodePdu({ type: 'A-RELEASE-RQ' }));
    await Promise.race([done, this.closed]);
  }

  /** Sends A-ABORT (service-user) and closes. */
  abort(): void {
    if (this.state === 'Sta13' || this.socket.destroyed) return;
    this.sendAbort(AbortSource.ServiceUser, 0, 'aborted by this side');
  }

  // ---- DIMSE ---------------------------------------------------------------------------------------

  /**
   * Sends one DIMSE message. Messages are queued so that their PDUs never interleave; the returned promise
   * resolves when the last fragment has been handed to the socket (after back-pressure).
   */
  send(contextId: number, command: Command, dataSet?: DataSetSource): Promise<void> {
    const run = this.writeQueue.then(() => this.writeMessage(contextId, command, dataSet));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /** Sends a request and resolves with the final response (pending responses go to onPending). */
  async sendRequest(
    contextId: number,
    command: Command,
    dataSet?: DataSetSource,
    onPending?: (m: DimseMessage) => void,
    /** Called once the request is written (the response is still to come). */
    onSent?: () => void,
  ): Promise<DimseMessage> {
    const id = command.messageId ?? this.newMessageId();
    command.messageId = id;
    const final = new Promise<DimseMessage>((resolve, reject) => {
      if (this.state === 'Sta1' || this.socket.destroyed) {
        reject(this.endReason ?? new AssociationAbortedError('association closed before the response'));
        return;
      }
      this.responseRejects.set(id, reject);
      this.responseWaiters.set(id, (m) => {
        const status = m.command.status ?? 0;
        if ((status === 0xff00 || status === 0xff01) && onPending) {
          onPending(m);
          return;
        }
        if (status === 0xff00 || status === 0xff01) return;
        this.responseWaiters.delete(id);
        this.responseRejects.delete(id);
        resolve(m);
      });
    });
    // If sending fails, the caller gets that error; the response promise must not also surface unhandled.
    final.catch(() => undefined);
    await this.send(contextId, command, dataSet);
    onSent?.();
    return final;
  }

  /**
   * Sends several messages whose data sets are in memory as one write (e.g. a batch of C-FIND pending
   * responses): one system call instead of one per message. Resolves like send() for the last one.
   */
  sendMany(contextId: number, messages: readonly { command: Command; dataSet?: Buffer }[]): Promise<void> {
    const run = this.writeQueue.then(() => {
      const max = this.checkSendable(contextId);
      const packer = new PduPacker(contextId, max);
      for (const m of messages) this.pack(packer, m.command, m.dataSet);
      return this.writePdvs(packer.take());
    });
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /** The largest PDU to send on a context that may be used now. */
  private checkSendable(contextId: number): number {
    if (this.state !== 'Sta6')
      throw this.endReason ?? new AssociationError(`cannot send in state ${this.state}`);
    if (!this.contexts.has(contextId))
      throw new AssociationError(`presentation context ${contextId} was not accepted`);
    return this.peerMaxPduLength > 0 ? this.peerMaxPduLength : UNLIMITED_PDV + 6;
  }

  /** Packs a command and an in-memory data set (or none) into PDVs. */
  private pack(packer: PduPacker, command: Command, dataSet: Buffer | undefined): void {
    command.hasDataSet = dataSet !== undefined;
    packer.command(this.encodeCommandCached(command));
    if (dataSet !== undefined) {
      packer.data(dataSet);
      packer.endData();
    }
    this.log.debug(`sent ${commandFieldName(command.commandField)} on context ${packer.contextId}`, 3);
  }

  /**
   * The command set's bytes. A run of identical commands (C-FIND pending responses, which differ only in
   * their identifiers) is encoded once.
   */
  private encodeCommandCached(command: Command): Buffer {
    const last = this.lastCommand;
    if (last && sameCommand(last.command, command)) return last.bytes;
    const bytes = encodeCommand(command);
    this.lastCommand = { command: { ...command }, bytes };
    return bytes;
  }

  private async writeMessage(contextId: number, command: Command, dataSet?: DataSetSource): Promise<void> {
    const max = this.checkSendable(contextId);
    const packer = new PduPacker(contextId, max);
    if (dataSet === undefined || Buffer.isBuffer(dataSet)) {
      this.pack(packer, command, dataSet);
      await this.writePdvs(packer.take());
      return;
    }
    command.hasDataSet = true;
    packer.command(this.encodeCommandCached(command));
    const parts: Iterable<Buffer> | AsyncIterable<Buffer> = dataSet as
      | Iterable<Buffer>
      | AsyncIterable<Buffer>;
    for await (const part of parts) {
      packer.data(part);
      // Complete PDUs go out in batches while the data set streams in.
      if (packer.completeBytes >= WRITE_BATCH) await this.writePdvs(packer.takeComplete());
    }
    packer.endData();
    await this.writePdvs(packer.take());
    this.log.debug(`sent ${commandFieldName(command.commandField)} on context ${contextId}`, 3);
  }

  /**
   * Writes P-DATA-TF PDUs (one per PDV list) in one corked batch, so one writev(2) carries them all;
   * resolves when the socket can take more.
   */
  private writePdvs(pdus: readonly PresentationDataValue[][]): Promise<void> {
    if (this.socket.destroyed)
      return Promise.reject(this.endReason ?? new AssociationAbortedError('connection closed'));
    this.socket.cork();
    let ok = true;
    for (const pdvs of pdus) for (const p of encodePDataTf(pdvs)) ok = this.socket.write(p);
    this.socket.uncork();
    if (ok) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.socket.off('drain', onDrain);
        reject(this.endReason ?? new AssociationAbortedError('connection closed while sending'));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  // ---- receiving ---------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    try {
      this.framer.push(chunk);
    } catch (e) {
      if (e instanceof PduDecodeError) {
        this.log.warn(`malformed PDU from ${this.peerAddress}: ${e.message}`);
        this.sendAbort(AbortSource.ServiceProvider, e.abortReason, e.message);
      } else {
        this.log.error(`internal error on association: ${(e as Error).stack}`);
        this.sendAbort(AbortSource.ServiceProvider, AbortReason.ReasonNotSpecified, (e as Error).message);
      }
    }
  }

  private onPdu(type: number, body: Buffer): void {
    if (this.state === 'Sta13') return; // after an abort or release: ignore everything until the close
    const pdu = decodePduBody(type, body);
    switch (pdu.type) {
      case 'A-ASSOCIATE-RQ': {
        this.onAssociateRq(pdu);
        return;
      }
      case 'A-ASSOCIATE-AC': {
        this.onAssociateAc(pdu);
        return;
      }
      case 'A-ASSOCIATE-RJ': {
        this.onAssociateRj(pdu);
        return;
      }
      case 'P-DATA-TF':
        if (this.state !== 'Sta6' && this.state !== 'Sta7') {
          this.unexpected(pdu);
          return;
        }
        for (const pdv of pdu.presentationDataValues) this.onPdv(pdv);
        return;
      case 'A-RELEASE-RQ': {
        this.onReleaseRq();
        return;
      }
      case 'A-RELEASE-RP': {
        this.onReleaseRp();
        return;
      }
      case 'A-ABORT': {
        this.onAbort(pdu);
        return;
      }
    }
  }

  private unexpected(pdu: Pdu): void {
    const why = `unexpected ${pdu.type} in state ${this.state}`;
    this.log.warn(why);
    this.sendAbort(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu, why);
  }

  private onAssociateRq(rq: AAssociateRq): void {
    if (this.role !== 'acceptor' || this.state !== 'Sta2') {
      this.unexpected(rq);
      return;
    }
    this.stopArtim();
    this.state = 'Sta3';
    this.request = rq;
    this.callingAETitle = rq.callingAETitle;
    this.calledAETitle = rq.calledAETitle;
    const decision = this.handlers.negotiate?.(rq) ?? {
      reject: { result: 1, source: 1, reason: 1 },
      why: 'no negotiator',
    };
    if ('reject' in decision) {
      this.log.info(
        `association from ${rq.callingAETitle} (${this.peerAddress}) to ${rq.calledAETitle} rejected: ${decision.why}`,
      );
      this.socket.write(encodePdu({ type: 'A-ASSOCIATE-RJ', ...decision.reject }));
      this.state = 'Sta13';
      this.endReason = new AssociationRejectedError({ type: 'A-ASSOCIATE-RJ', ...decision.reject });
      this.startArtim('waiting for the peer to close after A-ASSOCIATE-RJ');
      return;
    }
    const ac = decision.accept;
    this.accept = ac;
    this.setContexts(rq, ac);
    this.socket.write(encodePdu(ac));
    this.state = 'Sta6';
  }

  private setContexts(rq: AAssociateRq, ac: AAssociateAc): void {
    this.peerMaxPduLength = (this.role === 'acceptor' ? rq : ac).userInformation.maxPduLength ?? 0;
    const proposed = new Map(rq.presentationContexts.map((pc) => [pc.id, pc]));
    for (const pc of ac.presentationContexts) {
      const asked = proposed.get(pc.id);
      if (pc.result !== 0 || !asked) continue;
      this.contexts.set(pc.id, {
        id: pc.id,
        abstractSyntax: asked.abstractSyntax,
        transferSyntax: pc.transferSyntax,
      });
    }
  }

  private onAssociateAc(ac: AAssociateAc): void {
    if (this.role !== 'requestor' || this.state !== 'Sta5') {
      this.unexpected(ac);
      return;
    }
    this.stopArtim();
    this.accept = ac;
    this.setContexts(this.request!, ac);
    this.state = 'Sta6';
    this.connectWaiter?.resolve();
    this.connectWaiter = undefined;
  }

  private onAssociateRj(rj: AAssociateRj): void {
    if (this.role !== 'requestor' || this.state !== 'Sta5') {
      this.unexpected(rj);
      return;
    }
    this.stopArtim();
    const err = new AssociationRejectedError(rj);
    this.endReason = err;
    this.connectWaiter?.reject(err);
    this.connectWaiter = undefined;
    this.state = 'Sta13';
    this.socket.end();
  }

  private onReleaseRq(): void {
    if (this.state !== 'Sta6') {
      // Release collision (Sta7) is answered like a normal release: both sides then close.
      if (this.state !== 'Sta7') {
        this.unexpected({ type: 'A-RELEASE-RQ' });
        return;
      }
    }
    this.state = 'Sta8';
    this.writeQueue.then(() => {
      if (this.socket.destroyed) return;
      this.socket.write(encodePdu({ type: 'A-RELEASE-RP' }));
      this.state = 'Sta13';
      this.endReason ??= new AssociationError('released');
      // The requestor closes the transport after the RP (PS3.8 9.2.3); ARTIM guards a peer that does not.
      this.startArtim('waiting for the peer to close after A-RELEASE-RP');
    });
  }

  private onReleaseRp(): void {
    if (this.state !== 'Sta7') {
      this.unexpected({ type: 'A-RELEASE-RP' });
      return;
    }
    this.stopArtim();
    this.state = 'Sta13';
    this.endReason ??= new AssociationError('released');
    this.socket.end();
    this.releaseWaiter?.();
  }

  private onAbort(abort: AAbort): void {
    const why = `peer aborted: ${describeAbort(abort)}`;
    this.log.info(why);
    this.fail(new AssociationAbortedError(why, abort));
  }

  private onPdv(pdv: PresentationDataValue): void {
    const ctx = this.contexts.get(pdv.presentationContextId);
    if (!ctx) {
      const why = `P-DATA on presentation context ${pdv.presentationContextId}, which was not accepted`;
      this.sendAbort(AbortSource.ServiceProvider, AbortReason.UnexpectedPduParameter, why);
      return;
    }
    let m = this.pending;
    if (pdv.isCommand) {
      if (m?.dataSet) {
        this.sendAbort(
          AbortSource.ServiceProvider,
          AbortReason.UnexpectedPduParameter,
          'command fragment inside a data set',
        );
        return;
      }
      if (!m) {
        m = { context: ctx, commandParts: [], command: undefined, dataSet: undefined };
        this.pending = m;
      }
      m.commandParts.push(pdv.data);
      if (pdv.isLast) this.onCommandComplete(m);
      return;
    }
    if (!m?.dataSet || m.context.id !== ctx.id) {
      this.sendAbort(
        AbortSource.ServiceProvider,
        AbortReason.UnexpectedPduParameter,
        'data set fragment without its command',
      );
      return;
    }
    if (!m.dataSet.push(pdv.data) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (pdv.isLast) {
      m.dataSet.push(null);
      this.pending = undefined;
    }
  }

  private onCommandComplete(m: PendingMessage): void {
    let command: Command;
    try {
      command = decodeCommand(
        m.commandParts.length === 1 ? m.commandParts[0]! : Buffer.concat(m.commandParts),
      );
    } catch (e) {
      const why = e instanceof DimseError ? e.message : String(e);
      this.sendAbort(AbortSource.ServiceProvider, AbortReason.InvalidPduParameterValue, why);
      return;
    }
    m.command = command;
    m.commandParts = [];
    if (command.hasDataSet) {
      m.dataSet = new IncomingDataSet(() => {
        if (this.paused) {
          this.paused = false;
          this.socket.resume();
        }
      });
    } else this.pending = undefined;
    const message: DimseMessage = { context: m.context, command, dataSet: m.dataSet };
    this.log.debug(`received ${commandFieldName(command.commandField)} on context ${m.context.id}`, 3);
    if (isResponse(command.commandField)) {
      const waiter = this.responseWaiters.get(command.messageIdBeingRespondedTo ?? -1);
      if (waiter) waiter(message);
      else
        this.log.warn(
          `unexpected ${commandFieldName(command.commandField)} for message ${command.messageIdBeingRespondedTo}`,
        );
      if (message.dataSet && !waiter) message.dataSet.resume();
      return;
    }
    if (this.handlers.onRequest) this.handlers.onRequest(message, this);
    else {
      this.log.warn(`no handler for ${commandFieldName(command.commandField)}`);
      message.dataSet?.resume();
    }
  }

  // ---- ending ---------------------------------------------------------------------------------------

  private sendAbort(source: number, reason: number, why: string): void {
    if (this.socket.destroyed) return;
    this.endReason ??= new AssociationAbortedError(why);
    this.pending?.dataSet?.destroy(this.endReason);
    this.pending = undefined;
    if (this.state !== 'Sta1' && this.state !== 'Sta4')
      this.socket.write(encodePdu({ type: 'A-ABORT', source, reason }));
    this.state = 'Sta13';
    this.connectWaiter?.reject(this.endReason);
    this.connectWaiter = undefined;
    this.startArtim('waiting for the peer to close after A-ABORT');
    this.socket.end();
  }

  private abortWith(why: string): void {
    this.log.warn(`association with ${this.callingAETitle || this.peerAddress} aborted: ${why}`);
    this.sendAbort(AbortSource.ServiceProvider, AbortReason.ReasonNotSpecified, why);
  }

  private fail(err: Error): void {
    this.endReason ??= err;
    this.pending?.dataSet?.destroy(err);
    this.pending = undefined;
    this.connectWaiter?.reject(err);
    this.connectWaiter = undefined;
    this.state = 'Sta13';
    this.socket.destroy();
  }

  private onClose(): void {
    this.stopArtim();
    if (this.state !== 'Sta13' && this.state !== 'Sta1') {
      const err = new AssociationAbortedError(
        `connection closed by ${this.peerAddress} in state ${this.state}`,
      );
      this.endReason ??= err;
      if (this.framer.bufferedBytes > 0)
        this.log.warn(`connection closed inside a PDU (${this.framer.bufferedBytes} bytes pending)`);
      this.pending?.dataSet?.destroy(err);
      this.pending = undefined;
      this.connectWaiter?.reject(err);
    }
    const ended = this.endReason ?? new AssociationAbortedError('association closed before the response');
    for (const reject of this.responseRejects.values()) reject(ended);
    this.responseRejects.clear();
    this.responseWaiters.clear();
    this.state = 'Sta1';
    this.releaseWaiter?.();
  }

  private startArtim(what: string): void {
    this.stopArtim();
    this.artim = setTimeout(() => {
      this.log.warn(
        `ARTIM timer expired ${what} (${this.timeouts.artimMs / 1000} s); closing the connection`,
      );
      this.endReason ??= new AssociationAbortedError(`ARTIM timeout ${what}`);
      this.connectWaiter?.reject(this.endReason);
      this.connectWaiter = undefined;
      this.state = 'Sta13';
      this.socket.destroy();
    }, this.timeouts.artimMs);
    this.artim.unref();
  }

  private stopArtim(): void {
    if (this.artim) clearTimeout(this.artim);
    this.artim = undefined;
  }
}

/**
 * Packs message fragments into P-DATA-TF PDUs of at most `maxPduLength`, several PDVs per PDU where they
 * fit (the command and the first data fragment go out in one PDU), never copying data. A full PDU is held
 * until more data follows, so that the last PDV can still be marked as the last.
 */
class PduPacker {
  private pdvs: PresentationDataValue[] = [];
  private room: number;
  /** Complete PDUs not yet taken, and their size. */
  private pdus: PresentationDataValue[][] = [];
  completeBytes = 0;

  constructor(
    readonly contextId: number,
    private readonly maxPduLength: number,
  ) {
    this.room = maxPduLength;
  }

  /**
   * A command set, cut into fragments that fit. It starts a new PDU: peers (DCMTK among them) expect the
   * PDVs of one message only in a P-DATA-TF.
   */
  command(cmd: Buffer): void {
    this.endPdu();
    for (let at = 0; at < cmd.length; ) {
      const n = Math.min(cmd.length - at, this.maxPduLength - 6);
      this.add(cmd.subarray(at, at + n), true, at + n === cmd.length);
      at += n;
    }
  }

  /** Adds data set bytes, cut to fit the PDUs. A PDU is closed only once more data follows. */
  data(buf: Buffer): void {
    for (let at = 0; at < buf.length; ) {
      if (this.room <= 6) this.endPdu();
      const n = Math.min(buf.length - at, this.room - 6);
      this.pdvs.push({
        presentationContextId: this.contextId,
        isCommand: false,
        isLast: false,
        data: buf.subarray(at, at + n),
      });
      this.room -= 6 + n;
      at += n;
    }
  }

  /** Marks the last data PDV (an empty one when the data set was empty). */
  endData(): void {
    const last = this.pdvs[this.pdvs.length - 1];
    if (last && !last.isCommand) last.isLast = true;
    else this.add(Buffer.alloc(0), false, true);
  }

  /** Every PDU built so far, the one being filled included (the end of a message or batch). */
  take(): PresentationDataValue[][] {
    this.endPdu();
    return this.takeComplete();
  }

  /** The complete PDUs (the one being filled stays). */
  takeComplete(): PresentationDataValue[][] {
    const pdus = this.pdus;
    this.pdus = [];
    this.completeBytes = 0;
    return pdus;
  }

  private add(data: Buffer, isCommand: boolean, isLast: boolean): void {
    if (this.room < 6 + data.length) this.endPdu();
    this.pdvs.push({ presentationContextId: this.contextId, isCommand, isLast, data });
    this.room -= 6 + data.length;
  }

  private endPdu(): void {
    if (this.pdvs.length === 0) return;
    this.pdus.push(this.pdvs);
    this.completeBytes += this.maxPduLength - this.room;
    this.pdvs = [];
    this.room = this.maxPduLength;
  }
}

/** Two commands that encode to the same bytes (the fields a response sets; `extra` by identity). */
function sameCommand(a: Command, b: Command): boolean {
  const ka = Object.keys(a) as (keyof Command)[];
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => v === y[i]))
      continue;
    return false;
  }
  return true;
}

/** Bytes of complete PDUs written together (one system call). */
const WRITE_BATCH = 256 << 10;
