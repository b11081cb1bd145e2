/** dgate's end of the server-command channel: sends `--command:args` to a running server and returns its output. */

import type { Logger } from '../logging/logger.js';
import { AssociationError } from '../net/association.js';
import { DicomClient, VERIFICATION_SOP_CLASS } from '../net/client.js';
import { COMMAND_RESULT_TAG, serverCommandOutput, serverCommandRequest } from './server-command.js';

export interface RemoteCommandResult {
  status: number;
  output: Buffer;
  errorComment: string | undefined;
  /** The answer carried a command result: false means the peer is a DICOM node that is not a Conquest server. */
  understood: boolean;
}

/** Thrown when no server listens at the address (so that `archive` commands can run locally instead). */
export class NoServerError extends AssociationError {
  override readonly name = 'NoServerError';
}

export async function sendServerCommand(options: {
  host: string;
  port: number;
  /** The server's AE title: dgate calls it with its own title, as Conquest's dgate does. */
  aeTitle: string;
  text: string;
  upload?: Buffer;
  log: Logger;
}): Promise<RemoteCommandResult> {
  let client: DicomClient;
  try {
    client = await DicomClient.connect(
      {
        host: options.host,
        port: options.port,
        callingAETitle: options.aeTitle,
        calledAETitle: options.aeTitle,
        connectTimeoutMs: 10_000,
        log: options.log,
      },
      [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ['1.2.840.10008.1.2'] }],
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED')
      throw new NoServerError(`no server is listening at ${options.host}:${options.port}`);
    throw e;
  }
  try {
    const rsp = await client.echoCommand(serverCommandRequest(options.text, options.upload));
    return {
      status: rsp.status ?? 0xffff,
      output: serverCommandOutput(rsp),
      errorComment: rsp.errorComment,
      understood: rsp.extra?.has(COMMAND_RESULT_TAG) ?? false,
    };
  } finally {
    await client.release().catch(() => undefined);
  }
}
