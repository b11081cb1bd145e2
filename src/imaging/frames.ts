/**
 * Frame selection (Conquest's ExtractFrames / ExtractFrame in nkiqrsop.cpp, behaviour only): a copy of a
 * data set holding frames first..last (0-based, inclusive). As Conquest: a last frame beyond the end means
 * the last frame; a first frame beyond the end, or a single-frame object, leaves the object unchanged.
 * Native frames are sliced; encapsulated frames are copied as they are (no re-encoding) with a new Basic
 * Offset Table. Number of Frames is updated, the Extended Offset Table dropped, and a Per-frame Functional
 * Groups Sequence with one item per frame keeps the selected items (Conquest leaves it, which makes an
 * enhanced object inconsistent).
 */
import { encapsulate, frameBytes, frameCount } from '../codecs/pixel-data.js';
import { copyDataset } from '../codecs/transcode.js';
import type { Dataset } from '../dicom/dataset.js';
import { DataElement } from '../dicom/element.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { ImagingError } from './errors.js';

const PIXEL_DATA = 0x7fe00010;
const EXTENDED_OFFSET_TABLE = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;
const PER_FRAME_GROUPS = 0x52009230;

export interface FrameSelection {
  readonly dataset: Dataset;
  /** The frames kept (0-based); empty when the object was left unchanged. */
  readonly frames: readonly number[];
  /** Why nothing was done, when nothing was. */
  readonly note?: string;
}

export function extractFrames(
  ds: Dataset,
  transferSyntaxUid: string,
  first: number,
  last: number = first,
): FrameSelection {
  if (!Number.isInteger(first) || first < 0 || !Number.isInteger(last))
    throw new ImagingError(`frames ${first}..${last}: frame numbers are whole numbers from 0`);
  const n = frameCount(ds, transferSyntaxUid);
  if (!ds.has(PIXEL_DATA)) return { dataset: ds, frames: [], note: 'no Pixel Data' };
  if (n <= 1) return { dataset: ds, frames: [], note: 'single-frame object' };
  if (first >= n)
    return { dataset: ds, frames: [], note: `frame ${first} does not exist (${n} frames, from 0)` };
  // Past the end means the end; a last before the first means just the first (Conquest keeps one frame).
  const end = last >= n ? n - 1 : Math.max(last, first);
  const frames: number[] = [];
  for (let i = first; i <= end; i++) frames.push(i);
  const out = copyDataset(ds);
  const bytes = frames.map((i) => frameBytes(ds, i, transferSyntaxUid));
  const el = ds.get(PIXEL_DATA)!;
  if (findTransferSyntax(transferSyntaxUid)?.encapsulated || el.fragments) {
    out.set(DataElement.ofFragments(PIXEL_DATA, el.vr, encapsulate(bytes, true)));
  } else {
    // frameBytes gives native frames in the data set's byte order: the value can be their concatenation
    // (1-bit frames are realigned per frame, so pack them back bit-contiguously).
    out.setBytes(PIXEL_DATA, el.vr, isPackedBits(ds) ? packBits(bytes, ds) : Buffer.concat(bytes));
  }
  out.delete(EXTENDED_OFFSET_TABLE);
  out.delete(EXTENDED_OFFSET_TABLE_LENGTHS);
  out.setStrings('NumberOfFrames', String(frames.length), 'IS');
  const groups = ds.sequence(PER_FRAME_GROUPS);
  if (groups.length === n)
    out.setSequence(
      PER_FRAME_GROUPS,
      frames.map((i) => groups[i]!),
    );
  return { dataset: out, frames };
}

function isPackedBits(ds: Dataset): boolean {
  return ds.number('BitsAllocated') === 1;
}

function packBits(frames: readonly Buffer[], ds: Dataset): Buffer {
  const bitsPerFrame =
    (ds.number('Rows') ?? 0) * (ds.number('Columns') ?? 0) * (ds.number('SamplesPerPixel') ?? 1);
  const out = Buffer.alloc(Math.ceil((bitsPerFrame * frames.length) / 8));
  let bit = 0;
  for (const f of frames)
    for (let i = 0; i < bitsPerFrame; i++, bit++)
      if ((f[i >>> 3]! >>> (i & 7)) & 1) out[bit >>> 3] = out[bit >>> 3]! | (1 << (bit & 7));
  return out;
}
