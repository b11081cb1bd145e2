/**
 * Conquest's recompress(): bring an object into the state a compression mode string asks for (manual 7.2
 * DroppedFileCompression list; modes.ts parses the strings): leave it, decompress it (NKI and encapsulated
 * syntaxes), NKI-compress it, JPEG/JPEG-LS/JPEG 2000-compress it, or downsize it. Works on a copy.
 */
import type { Dataset } from '../dicom/dataset.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { CodecError } from './codec.js';
import { downsizeDataset } from './downsize.js';
import { type CompressionMode, encodeOptionsFor, isJpegFamily } from './modes.js';
import { NKI_PIXEL_TAG, nkiCompressDataset, nkiDecompressDataset } from './nki.js';
import { copyDataset, transcodeDataset } from './transcode.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

export interface Recompressed {
  readonly dataset: Dataset;
  readonly transferSyntaxUid: string;
  /** Why nothing was done (e.g. NKI on an 8-bit image), when nothing was. */
  readonly note?: string;
}

/** The JPEG family (Conquest's "leaves JPEG as is" in nj and uj). */

export async function recompress(ds: Dataset, fromTs: string, mode: CompressionMode): Promise<Recompressed> {
  switch (mode.kind) {
    case 'as-is':
      return { dataset: ds, transferSyntaxUid: fromTs };
    case 'uncompressed':
      return uncompressed(ds, fromTs, mode.transferSyntaxUid);
    case 'uncompressed-unless-jpeg':
      return isJpegFamily(fromTs) ? { dataset: ds, transferSyntaxUid: fromTs } : uncompressed(ds, fromTs);
    case 'nki':
    case 'nki-unless-jpeg': {
      if (mode.kind === 'nki-unless-jpeg' && isJpegFamily(fromTs))
        return { dataset: ds, transferSyntaxUid: fromTs };
      const plain = await uncompressed(ds, fromTs);
      const copy = copyDataset(plain.dataset);
      const result = nkiCompressDataset(copy, mode.nkiMode ?? 4);
      return result.changed
        ? { dataset: copy, transferSyntaxUid: plain.transferSyntaxUid }
        : { ...plain, note: result.reason };
    }
    case 'jpeg': {
      const target = mode.transferSyntaxUid;
      if (!target) throw new CodecError(`mode ${mode.text} names no transfer syntax`, fromTs);
      const plain = ds.has(NKI_PIXEL_TAG)
        ? await uncompressed(ds, fromTs)
        : { dataset: ds, transferSyntaxUid: fromTs };
      const out = await transcodeDataset(
        plain.dataset,
        plain.transferSyntaxUid,
        target,
        encodeOptionsFor(mode),
      );
      return { dataset: out, transferSyntaxUid: target };
    }
    case 'downsize': {
      const plain = await uncompressed(ds, fromTs);
      const copy = copyDataset(plain.dataset);
      const result = downsizeDataset(copy, mode.downsizeTo ?? 1024);
      return result.changed
        ? { dataset: copy, transferSyntaxUid: plain.transferSyntaxUid }
        : { ...plain, note: result.reason };
    }
    case 'converter':
      throw new CodecError(
        `${mode.text}: CompressionConverter scripts need the scripting layer (a later version)`,
        fromTs,
      );
    case 'discard':
      throw new CodecError(`${mode.text}: "do not store" applies to IncomingCompression only`, fromTs);
  }
}

/** NKI pixels back in (7FE0,0010), encapsulated pixels decoded; `target` picks the native syntax. */
async function uncompressed(ds: Dataset, fromTs: string, target?: string): Promise<Recompressed> {
  let current = ds;
  if (current.has(NKI_PIXEL_TAG)) {
    current = copyDataset(current);
    nkiDecompressDataset(current);
  }
  const from = findTransferSyntax(fromTs);
  const wanted = target ?? (from && !from.encapsulated && !from.deflated ? fromTs : EXPLICIT_LE);
  if (wanted === fromTs) return { dataset: current, transferSyntaxUid: fromTs };
  return { dataset: await transcodeDataset(current, fromTs, wanted), transferSyntaxUid: wanted };
}
