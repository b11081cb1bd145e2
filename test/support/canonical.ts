/**
 * A syntax-independent view of a data set for comparing reads of the same content written in different
 * transfer syntaxes: binary values in little-endian order, VRs resolved, sequences nested.
 */
import type { Dataset } from '../../src/dicom/dataset.js';
import { formatTag } from '../../src/dicom/tag.js';
import { binaryValueSize } from '../../src/dicom/vr.js';

export interface CanonicalOptions {
  /** Ignore VRs where either side is UN (Implicit VR loses private VRs) or the encoding had no VRs. */
  looseVR?: boolean;
}

export type CanonicalElement = [tag: string, vr: string, value: string | CanonicalElement[][]];

export function canonical(ds: Dataset, options: CanonicalOptions = {}): CanonicalElement[] {
  const out: CanonicalElement[] = [];
  for (const el of ds) {
    const vr = options.looseVR && el.vr === 'UN' ? '*' : el.vr;
    // Implicit VR cannot tell an empty private sequence from an empty value.
    if (el.items && el.items.length === 0 && options.looseVR) out.push([formatTag(el.tag), '*', '']);
    else if (el.items)
      out.push([formatTag(el.tag), options.looseVR ? '*' : 'SQ', el.items.map((i) => canonical(i, options))]);
    else if (el.fragments)
      out.push([formatTag(el.tag), vr, el.fragments.map((f) => f.toString('hex')).join('|')]);
    else {
      let bytes = el.bytes ?? Buffer.alloc(0);
      const size = binaryValueSize(el.vr);
      if (!ds.littleEndian && size > 1) {
        bytes = Buffer.from(bytes);
        const n = bytes.length - (bytes.length % size);
        if (size === 2) bytes.subarray(0, n).swap16();
        if (size === 4) bytes.subarray(0, n).swap32();
        if (size === 8) bytes.subarray(0, n).swap64();
      }
      out.push([formatTag(el.tag), options.looseVR ? '*' : vr, bytes.toString('hex')]);
    }
  }
  return out;
}
