/**
 * Recompressing a file that is already in place (ArchiveCompression on the patients selected for archival,
 * Conquest's RecompressPatient → recompressFile): the file is read, recompressed with the same code as
 * received objects (recompress-object.ts), written beside itself, made durable and renamed over the
 * original. So the file keeps its name and its index row stays as it is, and at every moment the name holds
 * either the old object or the new one, whole.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import type { CompressionMode } from '../codecs/modes.js';
import { readDicomFile } from '../dicom/reader.js';
import { encodeFileHead } from '../dicom/writer.js';
import { changesObject, recompressWriter } from './recompress-object.js';

const PIXEL_DATA = 0x7fe00010;

export interface RecompressedFile {
  /** The file was rewritten. */
  readonly changed: boolean;
  /** The syntax the file is in now. */
  readonly transferSyntaxUid: string;
  /** Why it was left as it is, when the mode would have changed it. */
  readonly note?: string;
}

/**
 * Brings the file into `mode` in place. Codec failures (CodecError) and unreadable files throw, and the
 * file is then untouched.
 */
export async function recompressFileInPlace(path: string, mode: CompressionMode): Promise<RecompressedFile> {
  const head = await readDicomFile(path, { stopBeforeTag: PIXEL_DATA });
  const ts = head.transferSyntax.uid;
  if (!changesObject(mode, ts)) return { changed: false, transferSyntaxUid: ts };
  // Conquest's .v2 files are raw Implicit VR Little Endian by their name; it refuses to rewrite them in
  // another syntax ("Cannot rewrite jpeg/rle image in v2 format"), and so does this.
  if (extname(path).toLowerCase() === '.v2')
    return { changed: false, transferSyntaxUid: ts, note: `a .v2 file stays in ${ts}` };
  let parts: readonly Buffer[] | undefined;
  const now = await recompressWriter(
    {
      // A fresh read: the codec pool may take the buffer over (transfer), and the header must stay usable.
      // (Synchronous, as ObjectWriter.contents() is.)
      contents: () => readFileSync(path),
      rewrite: (p) => {
        parts = p;
      },
    },
    ts,
    mode,
    (uid) => encodeFileHead(head.meta, head.dataset, uid),
  );
  if (!parts) return { changed: false, transferSyntaxUid: ts, note: 'nothing to do for this object' };
  await replaceFile(path, parts);
  return { changed: true, transferSyntaxUid: now };
}

/** Writes `parts` to a temporary file beside `path`, fsyncs it and renames it over `path`. */
export async function replaceFile(path: string, parts: readonly Buffer[]): Promise<void> {
  const temp = `${path}.${process.pid}.arch`;
  const fh = await fsp.open(temp, 'w');
  try {
    // writeFile on a handle writes all of it, from the current position on.
    for (const part of parts) await fh.writeFile(part);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fsp.rm(temp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(temp, path);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
  await syncFolder(dirname(path));
}

/** fsync of a folder, so that a rename in it survives a crash (best effort: not every system allows it). */
export async function syncFolder(folder: string): Promise<void> {
  try {
    const fh = await fsp.open(folder, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Windows cannot open a folder; the rename is then as durable as the system makes it.
  }
}
