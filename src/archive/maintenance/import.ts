/**
 * Putting files into the archive from outside (Conquest's AddImageFile): --addimagefile, --addlocalfile,
 * --loadanddeletedir, and the MAG0/incoming and WatchFolder loaders.
 *
 * A file is copied, never moved: its header is read (up to Pixel Data), the copy goes through the object
 * store exactly as a received object does (temporary file in the device's `.incoming`, named by
 * FileNameSyntax, renamed into place; an earlier copy of the same SOP instance is replaced) and is entered
 * in the index before the call returns. A Part 10 file keeps its meta elements (with this implementation's
 * class UID); a raw `.v2` file becomes a Part 10 file in Implicit VR Little Endian (or `.v2` again when
 * FileNameSyntax says so). With a new patient ID, (0010,0020) is changed in the copy only: the header is
 * re-encoded and the rest of the file (Pixel Data and what follows) copied byte for byte.
 *
 * Conquest's naming context for dropped files is calling and called AE `dropped`; so it is here.
 */
import { createReadStream, promises as fsp, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CodecError } from '../../codecs/codec.js';
import { type CompressionMode, parseCompressionMode } from '../../codecs/modes.js';
import type { Dataset } from '../../dicom/dataset.js';
import { type DicomFile, parseDicom, readDicomFile } from '../../dicom/reader.js';
import { encodeFileHead, writeDatasetParts } from '../../dicom/writer.js';
import type { PlacedObject } from '../../storage/object-store.js';
import { changesObject, recompressWriter } from '../../storage/recompress-object.js';
import { type Archive, removeReplaced } from '../archive.js';
import { MaintenanceError, type MaintenanceOptions, reason, TaskWindow, walkFiles } from './common.js';

const PIXEL_DATA = 0x7fe00010;
const PATIENT_ID = 0x00100020;
/** Files loaded at once by loadAndDeleteDir: enough for the index writer to batch. */
const LOAD_WINDOW = 32;

export interface AddFileOptions extends MaintenanceOptions {
  /** Store the copy under this PatientID. */
  patientId?: string | undefined;
  /** Store the file in its own transfer syntax, not in DroppedFileCompression (--testcompress). */
  asIs?: boolean;
}

export interface AddedFile {
  /** Where the copy is. */
  readonly path: string;
  readonly sopInstanceUid: string;
  /** An earlier copy of the same instance was replaced. */
  readonly replaced: boolean;
}

/** Copies one file into the archive (and its index); throws when it cannot be read, stored or indexed. */
export async function addFile(archive: Archive, file: string, options: AddFileOptions): Promise<AddedFile> {
  const source = resolve(file);
  const f = await readDicomFile(source, { stopBeforeTag: PIXEL_DATA });
  const newId = options.patientId?.trim();
  if (options.patientId !== undefined && !newId)
    throw new MaintenanceError('an empty patient ID is not allowed');
  const { header, body } = newId
    ? await withPatientId(source, f, newId)
    : { header: f.dataset, body: rest(source, f.datasetOffset) };
  const uid = header.string('SOPInstanceUID');
  if (!uid) throw new MaintenanceError(`${source} has no SOP Instance UID (0008,0018)`);
  await archive.admit?.(header);
  const placed = await place(archive, f, header, uid, body, options.log, options.asIs === true);
  if (archive.indexer) {
    try {
      removeReplaced(await archive.indexer.index({ header, path: placed.path }), placed.path, options.log);
    } catch (e) {
      // No file without its row: a new copy the index refused goes.
      if (!placed.replaced) rmSync(placed.path, { force: true });
      placed.settle();
      throw e;
    }
  }
  // Indexed (or no index): the placement journal need not re-index it after a crash.
  placed.settle();
  options.log.debug(`added ${source} as ${placed.path}`);
  return { path: placed.path, sopInstanceUid: uid, replaced: placed.replaced };
}

/** Writes the copy through the object store: Part 10 head, then the data set bytes. */
async function place(
  archive: Archive,
  f: DicomFile,
  header: Dataset,
  uid: string,
  body: AsyncIterable<Buffer>,
  log: MaintenanceOptions['log'],
  asIs = false,
): Promise<PlacedObject> {
  const ts = f.transferSyntax;
  const writer = archive.store.begin(encodeFileHead(f.meta, header, ts));
  try {
    for await (const chunk of body) writer.add(chunk);
    let storedTs = ts.uid;
    const mode = asIs ? undefined : droppedFileMode(archive);
    if (mode && changesObject(mode, storedTs)) {
      try {
        storedTs = await recompressWriter(writer, storedTs, mode, (uid2) =>
          encodeFileHead(f.meta, header, uid2),
        );
      } catch (e) {
        // As for received objects: pixel data the codecs cannot read is stored as it is, with a warning.
        if (!(e instanceof CodecError)) throw e;
        log.warn(`${uid}: stored as it is, not ${mode.text}: ${e.message}`);
      }
    }
    return await writer.commit(header, uid, {
      transferSyntaxUid: storedTs,
      callingAE: 'dropped',
      calledAE: 'dropped',
    });
  } catch (e) {
    writer.discard();
    throw e;
  }
}

/** DroppedFileCompression (manual 7.2): the mode dropped and added files are stored in. */
function droppedFileMode(archive: Archive): CompressionMode | undefined {
  const server = archive.config.server;
  try {
    return parseCompressionMode(server.droppedFileCompression, server.lossyQuality);
  } catch (e) {
    throw new MaintenanceError(`DroppedFileCompression: ${(e as Error).message}`);
  }
}

/** The file's bytes from `offset` on. */
async function* rest(path: string, offset: number): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path, { start: offset, highWaterMark: 1 << 20 }))
    yield chunk as Buffer;
}

async function* once(parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}

/**
 * The header with the new PatientID and the bytes of the changed data set. The header as read re-encodes
 * byte for byte (the writer keeps what was read), so its encoded length says where the rest of the file
 * starts; that is checked against the file, and a deflated or otherwise unusual file is rewritten whole.
 */
async function withPatientId(
  path: string,
  f: DicomFile,
  patientId: string,
): Promise<{ header: Dataset; body: AsyncIterable<Buffer> }> {
  const ts = f.transferSyntax;
  if (!ts.deflated) {
    const original = Buffer.concat(writeDatasetParts(f.dataset, ts));
    const onDisk = Buffer.alloc(original.length);
    const handle = await fsp.open(path, 'r');
    try {
      await handle.read(onDisk, 0, onDisk.length, f.datasetOffset);
    } finally {
      await handle.close();
    }
    if (onDisk.equals(original)) {
      f.dataset.setStrings(PATIENT_ID, patientId, 'LO');
      const head = writeDatasetParts(f.dataset, ts, { groupLengths: 'recalculate' });
      const tail = rest(path, f.datasetOffset + original.length);
      return { header: f.dataset, body: concat(once(head), tail) };
    }
  }
  const whole = parseDicom(readFileSync(path));
  whole.dataset.setStrings(PATIENT_ID, patientId, 'LO');
  const parts = writeDatasetParts(whole.dataset, whole.transferSyntax, { groupLengths: 'recalculate' });
  f.dataset.setStrings(PATIENT_ID, patientId, 'LO');
  return { header: f.dataset, body: once(parts) };
}

async function* concat(...sources: AsyncIterable<Buffer>[]): AsyncGenerator<Buffer> {
  for (const s of sources) yield* s;
}

export interface LoadResult {
  files: number;
  loaded: number;
  /** Files that stay (not readable, refused): reported one by one in the log. */
  failed: number;
  /** The files that could not be loaded, with the reason. */
  failures: { file: string; reason: string }[];
}

/**
 * Loads one file and deletes it once stored (the incoming folders and --loadanddeletedir). Returns the
 * reason when it stays.
 */
export async function loadAndDelete(
  archive: Archive,
  file: string,
  options: AddFileOptions,
): Promise<string | undefined> {
  try {
    await addFile(archive, file, options);
  } catch (e) {
    return reason(e);
  }
  rmSync(file, { force: true });
  return undefined;
}

/** --loadanddeletedir:dir[,patid]: every file in the folder tree; emptied subfolders are removed. */
export async function loadAndDeleteDir(
  archive: Archive,
  dir: string,
  options: AddFileOptions,
): Promise<LoadResult> {
  const root = resolve(dir);
  const st = await fsp.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new MaintenanceError(`--loadanddeletedir: ${root} is not a folder`);
  const result: LoadResult = { files: 0, loaded: 0, failed: 0, failures: [] };
  const folders = new Set<string>();
  const window = new TaskWindow(LOAD_WINDOW);
  for await (const file of walkFiles(root, () => true, options.log)) {
    result.files++;
    if (dirname(file) !== root) folders.add(dirname(file));
    await window.add(async () => {
      const why = await loadAndDelete(archive, file, options);
      if (why === undefined) result.loaded++;
      else {
        result.failed++;
        result.failures.push({ file, reason: why });
        options.log.warn(`not loaded: ${file}: ${why}`);
      }
    });
  }
  await window.drain();
  removeEmptyFolders(root, folders);
  return result;
}

/** Removes the emptied subfolders (deepest first) below root; root itself stays. */
function removeEmptyFolders(root: string, folders: Set<string>): void {
  const all = new Set<string>();
  for (let f of folders) for (; f !== root && f.startsWith(root); f = dirname(f)) all.add(f);
  for (const f of [...all].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(f);
    } catch {
      // not empty (a file stayed): keep it
    }
  }
}
