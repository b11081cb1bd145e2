/**
 * Transcoding a data set's Pixel Data from one transfer syntax to another, frame by frame: each frame is
 * decoded and re-encoded before the next is touched (a multi-frame object never has all its decoded frames
 * in memory at once). The other elements are kept; what the standard ties to the encoding is updated:
 * Photometric Interpretation (a JPEG colour frame may become YBR_FULL_422, a JPEG 2000 one YBR_RCT/ICT),
 * Planar Configuration (encapsulated colour is interleaved), and for lossy targets Lossy Image Compression
 * (0028,2110) "01" with the Ratio (0028,2112) and Method (0028,2114) appended (PS3.3 C.7.6.1.1.5). The
 * Extended Offset Table is dropped (it described the old fragments).
 */
import { Dataset } from '../dicom/dataset.js';
import { DataElement } from '../dicom/element.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { CodecError, type EncodeOptions, type PixelDescription } from './codec.js';
import { swapContainers } from './native.js';
import { describePixels, encapsulate, frameBytes, frameCount } from './pixel-data.js';
import { decodeFrame, encodeFrame } from './registry.js';

const PIXEL_DATA = 0x7fe00010;
const EXTENDED_OFFSET_TABLE = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;

export interface TranscodeOptions extends EncodeOptions {
  /** Write a Basic Offset Table for encapsulated targets (default true). */
  offsetTable?: boolean;
}

/** A copy of `ds` whose Pixel Data is in `toTs`; `ds` itself is not changed. Without Pixel Data: a plain copy. */
export async function transcodeDataset(
  ds: Dataset,
  fromTs: string,
  toTs: string,
  options: TranscodeOptions = {},
): Promise<Dataset> {
  const target = findTransferSyntax(toTs);
  if (!target) throw new CodecError(`unknown transfer syntax ${toTs}`, toTs);
  const out = copyDataset(ds);
  if (!ds.has(PIXEL_DATA) || fromTs === toTs) return out;
  const description = describePixels(ds, fromTs);
  const n = frameCount(ds, fromTs);
  const encoded: Buffer[] = [];
  let photometric = description.photometricInterpretation;
  let planar = description.planarConfiguration;
  let lossy: { ratio: number; method: string } | undefined;
  for (let i = 0; i < n; i++) {
    const decoded = await decodeFrame(frameBytes(ds, i, fromTs), description, fromTs, i);
    const input: PixelDescription = {
      ...description,
      photometricInterpretation: decoded.photometricInterpretation,
      planarConfiguration: decoded.planarConfiguration,
    };
    if (!target.encapsulated) {
      // Native: the decoded little-endian frame is the value; the writer orders bytes for the target.
      encoded.push(decoded.pixels);
      photometric = decoded.photometricInterpretation;
      planar = decoded.planarConfiguration;
      continue;
    }
    const frame = await encodeFrame(decoded.pixels, input, toTs, options, i);
    encoded.push(frame.data);
    photometric = frame.photometricInterpretation;
    planar = 0;
    lossy = frame.lossy ?? lossy;
  }
  if (target.encapsulated) {
    out.set(DataElement.ofFragments(PIXEL_DATA, 'OB', encapsulate(encoded, options.offsetTable ?? true)));
  } else {
    let bytes: Buffer = Buffer.concat(encoded);
    // Values held by a data set are in its byte order (the writer swaps on output): native frames are LE.
    if (!out.littleEndian && description.bitsAllocated > 8)
      bytes = swapContainers(bytes, description.bitsAllocated);
    out.setBytes(PIXEL_DATA, description.bitsAllocated > 8 ? 'OW' : 'OB', bytes);
  }
  out.delete(EXTENDED_OFFSET_TABLE);
  out.delete(EXTENDED_OFFSET_TABLE_LENGTHS);
  out.setStrings('PhotometricInterpretation', photometric);
  if (description.samplesPerPixel > 1) out.setNumbers('PlanarConfiguration', planar, 'US');
  if (lossy) markLossy(out, lossy);
  return out;
}

/** PS3.3 C.7.6.1.1.5: once lossy, always lossy; every lossy step adds its ratio and method. */
function markLossy(ds: Dataset, lossy: { ratio: number; method: string }): void {
  ds.setStrings('LossyImageCompression', '01');
  const ratios = ds.strings('LossyImageCompressionRatio');
  const methods = ds.strings('LossyImageCompressionMethod');
  ds.setStrings('LossyImageCompressionRatio', [...ratios, formatRatio(lossy.ratio)]);
  ds.setStrings('LossyImageCompressionMethod', [...methods, lossy.method]);
}

/** A DS value (at most 16 characters). */
function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? String(Math.round(ratio * 100) / 100).slice(0, 16) : '1';
}

/** A shallow copy: the same elements in a new Dataset with the same byte order (elements are immutable). */
export function copyDataset(ds: Dataset): Dataset {
  const out = new Dataset();
  out.littleEndian = ds.littleEndian;
  out.explicitVR = ds.explicitVR;
  for (const e of ds.elements()) out.set(e);
  return out;
}
