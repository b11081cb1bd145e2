/**
 * Conquest's server-command channel (dgate.cpp SendServerCommand; manual Appendix 5 form (3)):
 * `dgate -pPORT -qIP --command:args` opens an association to the running server with calling and called
 * AE both the server's own title, and sends a C-ECHO-RQ whose command set also carries
 *   (9999,0300) a description ("Server command sent using DGATE -- option"),
 *   (9999,0400) the command text without the leading `--` (e.g. `display_status:`),
 *   (9999,0402) optionally a file's bytes (upload), with (9999,0404) = 1 when its length was odd;
 * the server runs the command and answers with a C-ECHO-RSP whose (9999,0401) holds what the command wrote
 * (padded to even length; (9999,0404) = 1 says the last byte is padding).
 *
 * Text travels as UTF-8 (Conquest sends the bytes of its command line, which on Linux are UTF-8).
 *
 * This module is both ends, with no policy: who may send commands is decided by the caller (console.ts).
 */
import { Dataset } from '../dicom/dataset.js';
import type { Command } from '../net/dimse/command.js';

export const COMMAND_DESCRIPTION_TAG = 0x99990300;
export const COMMAND_TEXT_TAG = 0x99990400;
export const COMMAND_RESULT_TAG = 0x99990401;
export const COMMAND_UPLOAD_TAG = 0x99990402;
export const ODD_LENGTH_TAG = 0x99990404;

export const DEFAULT_DESCRIPTION = 'Server command sent using DGATE -- option';

/** The command text of a C-ECHO-RQ, or undefined for a plain echo. */
export function serverCommandOf(command: Command): { text: string; upload: Buffer | undefined } | undefined {
  const raw = command.extra?.bytes(COMMAND_TEXT_TAG);
  if (raw === undefined) return undefined;
  const text = raw.toString('utf8').replace(/[\0 ]+$/, '');
  let upload = command.extra?.bytes(COMMAND_UPLOAD_TAG);
  if (upload && upload.length > 0 && (command.extra?.bytes(ODD_LENGTH_TAG)?.readUInt16LE(0) ?? 0) === 1)
    upload = upload.subarray(0, upload.length - 1);
  return { text, upload };
}

/** The extra command elements of a request carrying `text` (and an upload). */
export function serverCommandRequest(text: string, upload?: Buffer): Dataset {
  const ds = new Dataset();
  ds.setBytes(COMMAND_DESCRIPTION_TAG, 'OB', even(Buffer.from(DEFAULT_DESCRIPTION, 'latin1')).bytes);
  ds.setBytes(COMMAND_TEXT_TAG, 'OB', even(Buffer.from(text, 'utf8')).bytes);
  if (upload) {
    const { bytes, odd } = even(upload);
    ds.setBytes(COMMAND_UPLOAD_TAG, 'OB', bytes);
    if (odd) ds.setNumbers(ODD_LENGTH_TAG, 1, 'US');
  }
  return ds;
}

/** The extra command elements of the response: the command's output. */
export function serverCommandResponse(output: Buffer): Dataset {
  const ds = new Dataset();
  const { bytes, odd } = even(output);
  ds.setBytes(COMMAND_RESULT_TAG, 'OB', bytes);
  if (odd) ds.setNumbers(ODD_LENGTH_TAG, 1, 'US');
  return ds;
}

/** The output in a C-ECHO-RSP (without the padding byte). */
export function serverCommandOutput(response: Command): Buffer {
  const raw = response.extra?.bytes(COMMAND_RESULT_TAG) ?? Buffer.alloc(0);
  const odd = (response.extra?.bytes(ODD_LENGTH_TAG)?.readUInt16LE(0) ?? 0) === 1;
  return odd && raw.length > 0 ? raw.subarray(0, raw.length - 1) : raw;
}

function even(bytes: Buffer): { bytes: Buffer; odd: boolean } {
  if (bytes.length % 2 === 0) return { bytes, odd: false };
  return { bytes: Buffer.concat([bytes, Buffer.from(' ')]), odd: true };
}
