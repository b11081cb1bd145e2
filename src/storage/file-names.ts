/**
 * File names of stored objects on a MAG device (manual 7.2, FileNameSyntax). This version implements
 * syntax 4 — `ID[16]/Seriesuid_Series#_Image#_TimeCounter.dcm`, Conquest's default — and makes every
 * component safe: no value can leave the device folder or produce an invalid name.
 */
import type { Dataset } from '../dicom/dataset.js';

/** Windows device names: refused as path components so that archives stay portable (Conquest runs there too). */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * A value as one safe path component: characters other than letters, digits and `.-_^` become `_`, no
 * leading dot (so never `.` or `..`), no reserved device name, at most `max` characters, never empty.
 */
export function cleanPathComponent(value: string | undefined, max: number, fallback = 'unknown'): string {
  let s = (value ?? '').trim().replace(/[^A-Za-z0-9.\-_^]/g, '_');
  s = s.replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  if (RESERVED.test(s)) s = `_${s}`;
  if (s.length > max) s = s.slice(0, max);
  s = s.replace(/\.+$/, ''); // trailing dots are dropped by some file systems
  return s.length ? s : fallback;
}

export interface FileNameContext {
  /** Seconds since 1970 when the file is first written. */
  time: number;
  /** Incremented for each stored file (4 digits, wraps). */
  counter: number;
}

export class FileNameSyntaxError extends Error {
  override readonly name = 'FileNameSyntaxError';
}

/** The path of a new object relative to its MAG device, by FileNameSyntax. */
export function objectFileName(syntax: string, header: Dataset, ctx: FileNameContext): string {
  const s = syntax.trim();
  if (s !== '4')
    throw new FileNameSyntaxError(`FileNameSyntax ${s} is not supported in this version (only 4)`);
  const id = cleanPathComponent(header.string('PatientID'), 16);
  const seriesUid = cleanPathComponent(header.string('SeriesInstanceUID'), 64, 'noseries');
  const series = intOf(header.string('SeriesNumber')).toString().padStart(4, '0');
  const image = intOf(header.string('InstanceNumber')).toString().padStart(6, '0');
  const counter = (ctx.counter % 10000).toString().padStart(4, '0');
  return `${id}/${seriesUid}_${series}_${image}_${ctx.time}${counter}.dcm`;
}

function intOf(s: string | undefined): number {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}
