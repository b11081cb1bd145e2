/**
 * The SCP side: listens, accepts associations (PS3.8), and dispatches each DIMSE request to the service
 * handler registered for its command (PS3.7). It knows nothing of storage or databases: services are
 * handlers registered by the composition root.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../logging/logger.js';
import { type AcceptancePolicy, negotiateAssociation } from './acceptance.js';
import {
  Association,
  type AssociationTimeouts,
  type DataSetSource,
  type DimseMessage,
} from './association.js';
import { type Command, CommandField, commandFieldName } from './dimse/command.js';
import { Status } from './dimse/status.js';
import { describePresentationContextResult, RejectReason, RejectResult, RejectSource } from './pdu.js';
import type { AAssociateRq } from './pdu-types.js';

/** What a service handler gets for one request. */
export interface ServiceRequest {
  readonly association: Association;
  readonly message: DimseMessage;
  /** The called AE's `~xx` compression override (Conquest), if any. */
  readonly compressionOverride: string | undefined;
  /** Aborted when the peer sends C-CANCEL for this request, or the association ends. */
  readonly cancelled: AbortSignal;
  readonly log: Logger;
  /** Sends a response to this request: command field, message id and affected SOP class/instance filled in. */
  respond(fields: Partial<Command> & { status: number }, dataSet?: DataSetSource): Promise<void>;
  /** Sends several responses (in-memory data sets) in one write: a batch of C-FIND matches. */
  respondMany(
    responses: readonly { fields: Partial<Command> & { status: number }; dataSet?: Buffer }[],
  ): Promise<void>;
}

export type ServiceHandler = (request: ServiceRequest) => Promise<void>;

export interface DicomServerOptions {
  policy: AcceptancePolicy;
  timeouts: AssociationTimeouts;
  /** Associations served at once; more are rejected as transient (local-limit-exceeded). 0 = no limit. */
  maxAssociations: number;
  log: Logger;
}

interface AssociationInfo {
  compressionOverride: string | undefined;
  operations: Map<number, AbortController>;
  inFlight: Set<Promise<void>>;
}

export class DicomServer {
  private readonly server: Server;
  private readonly handlers = new Map<number, ServiceHandler>();
  private readonly active = new Map<Association, AssociationInfo>();
  private associationCount = 0;
  private stopping = false;

  constructor(private options: DicomServerOptions) {
    this.server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
  }

  /** Registers the handler for a request command field (e.g. CommandField.C_STORE_RQ). */
  handle(commandField: number, handler: ServiceHandler): this {
    this.handlers.set(commandField, handler);
    return this;
  }

  listen(port: number, host?: string): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen({ port, host }, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve({ port: typeof addr === 'object' && addr ? addr.port : port });
      });
    });
  }

  get activeAssociations(): number {
    return this.active.size;
  }

  /** Associations accepted or refused since the server started. */
  get associationsServed(): number {
    return this.associationCount;
  }

  /** Negotiates new associations with this policy (after dgatesop.lst or dicom.ini was re-read). */
  setPolicy(policy: AcceptancePolicy): void {
    this.options = { ...this.options, policy };
  }

  /**
   * Stops accepting, lets in-flight operations finish (up to graceMs), then closes every association.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const inFlight = [...this.active.values()].flatMap((a) => [...a.inFlight]);
    await Promise.race([Promise.allSettled(inFlight), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const assoc of this.active.keys()) {
      if (assoc.state === 'Sta6') assoc.abort();
      assoc.socket.destroy();
    }
    await closed;
  }

  private onConnection(socket: Socket): void {
    const n = ++this.associationCount;
    const log = this.options.log.child(`[${n}]`);
    let info: AssociationInfo = {
      compressionOverride: undefined,
      operations: new Map(),
      inFlight: new Set(),
    };
    const assoc: Association = new Association(
      socket,
      'acceptor',
      this.options.policy.maxPduLength,
      this.options.timeouts,
      {
        negotiate: (rq) => {
          const full =
            this.stopping ||
            (this.options.maxAssociations > 0 && this.active.size > this.options.maxAssociations);
          if (full) {
            return {
              reject: {
                result: RejectResult.RejectedTransient,
                source: RejectSource.ServiceProviderPresentation,
                reason: RejectReason.ServiceProviderPresentation.LocalLimitExceeded,
              },
              why: this.stopping
                ? 'server is shutting down'
                : `more than ${this.options.maxAssociations} associations at once`,
            };
          }
          const outcome = negotiateAssociation(rq, this.options.policy);
          info.compressionOverride = outcome.compressionOverride;
          if ('accept' in outcome.decision)
            this.logAccepted(log, rq, outcome.decision.accept.presentationContexts, socket);
          return outcome.decision;
        },
        onRequest: (message, a) => this.dispatch(message, a, info, log),
      },
      log,
    );
    this.active.set(assoc, info);
    assoc.closed.then(() => {
      for (const c of info.operations.values()) c.abort();
      this.active.delete(assoc);
      log.debug(`association closed${assoc.endReason ? `: ${assoc.endReason.message}` : ''}`, 1);
      info = { compressionOverride: undefined, operations: new Map(), inFlight: info.inFlight };
    });
  }

  private logAccepted(
    log: Logger,
    rq: AAssociateRq,
    results: { id: number; result: number; transferSyntax: string }[],
    socket: Socket,
  ): void {
    const accepted = results.filter((r) => r.result === 0).length;
    log.info(
      `association from ${rq.callingAETitle} (${(socket.remoteAddress ?? '?').replace(/^::ffff:/, '')}) to ${rq.calledAETitle}: ${accepted} of ${results.length} presentation contexts accepted`,
    );
    const proposed = new Map(rq.presentationContexts.map((pc) => [pc.id, pc.abstractSyntax]));
    for (const r of results) {
      log.debug(
        `  context ${r.id} ${proposed.get(r.id)}: ${describePresentationContextResult(r.result)}${r.result === 0 ? ` ${r.transferSyntax}` : ''}`,
        2,
      );
    }
  }

  private dispatch(message: DimseMessage, assoc: Association, info: AssociationInfo, log: Logger): void {
    const { command } = message;
    if (command.commandField === CommandField.C_CANCEL_RQ) {
      info.operations.get(command.messageIdBeingRespondedTo ?? -1)?.abort();
      return;
    }
    const handler = this.handlers.get(command.commandField);
    const controller = new AbortController();
    const id = command.messageId ?? 0;
    info.operations.set(id, controller);
    const responseCommand = (
      fields: Partial<Command> & { status: number },
      hasDataSet: boolean,
    ): Command => ({
      commandField: command.commandField | 0x8000,
      messageIdBeingRespondedTo: id,
      affectedSopClassUid:
        command.affectedSopClassUid ?? command.requestedSopClassUid ?? message.context.abstractSyntax,
      ...(command.affectedSopInstanceUid !== undefined
        ? { affectedSopInstanceUid: command.affectedSopInstanceUid }
        : {}),
      hasDataSet,
      ...fields,
    });
    const request: ServiceRequest = {
      association: assoc,
      message,
      compressionOverride: info.compressionOverride,
      cancelled: controller.signal,
      log,
      respond: (fields, dataSet) =>
        assoc.send(message.context.id, responseCommand(fields, dataSet !== undefined), dataSet),
      respondMany: (responses) =>
        assoc.sendMany(
          message.context.id,
          responses.map((r) => ({
            command: responseCommand(r.fields, r.dataSet !== undefined),
            ...(r.dataSet ? { dataSet: r.dataSet } : {}),
          })),
        ),
    };
    const run = (async () => {
      if (!handler) {
        log.warn(
          `${commandFieldName(command.commandField)} is not supported; answered with 0x0211 (unrecognized operation)`,
        );
        message.dataSet?.resume();
        await request.respond({ status: Status.UnrecognizedOperation });
        return;
      }
      await handler(request);
    })()
      .catch((e: unknown) => {
        if (assoc.state === 'Sta6')
          log.error(`${commandFieldName(command.commandField)} failed: ${(e as Error).stack ?? e}`);
      })
      .finally(() => {
        info.operations.delete(id);
        info.inFlight.delete(run);
      });
    info.inFlight.add(run);
  }
}
