/**
 * A few small patients, studies and series written as Part 10 files (Explicit VR Little Endian), for the
 * query/retrieve client tests: stored into a server with our SCU, then found, listed, moved and grabbed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset } from '../../src/dicom/dataset.js';
import { ExplicitVRLittleEndian } from '../../src/dicom/transfer-syntax.js';
import { writeDicomFile } from '../../src/dicom/writer.js';
import { contextsForFiles, DicomClient, describeFile } from '../../src/net/client.js';

export const SC = '1.2.840.10008.5.1.4.1.1.7';
const ROOT = '1.2.826.0.1.3680043.9.7777';

export interface FixtureImage {
  patientId: string;
  patientName: string;
  studyUid: string;
  studyDate: string;
  accession: string;
  seriesUid: string;
  modality: string;
  sopUid: string;
  instanceNumber: number;
}

/** Patient → study → series → instances, with UIDs under a fixed root so that tests can name them. */
function images(): FixtureImage[] {
  const out: FixtureImage[] = [];
  const add = (
    p: [string, string],
    s: [number, string, string],
    series: [number, string, number][],
  ): void => {
    for (const [seriesNo, modality, count] of series)
      for (let i = 1; i <= count; i++)
        out.push({
          patientId: p[0],
          patientName: p[1],
          studyUid: `${ROOT}.${s[0]}`,
          studyDate: s[1],
          accession: s[2],
          seriesUid: `${ROOT}.${s[0]}.${seriesNo}`,
          modality,
          // Instance numbers in reverse order of the UIDs: the image lister must sort on the number.
          sopUid: `${ROOT}.${s[0]}.${seriesNo}.${count + 1 - i}`,
          instanceNumber: i,
        });
  };
  add(
    ['PAT001', 'DOE^JOHN'],
    [1, '20240105', 'ACC1'],
    [
      [1, 'CT', 3],
      [2, 'CT', 1],
    ],
  );
  add(['PAT002', 'SMITH^ANNA'], [2, '20240106', 'ACC2'], [[1, 'MR', 2]]);
  add(['X9', 'DOE^JANE'], [3, '20230101', 'ACC3'], [[1, 'US', 1]]);
  return out;
}

export const FIXTURE: readonly FixtureImage[] = images();
export const uid = (...parts: number[]): string => [ROOT, ...parts].join('.');

function datasetOf(img: FixtureImage): Dataset {
  const ds = new Dataset();
  ds.setStrings('SOPClassUID', SC);
  ds.setStrings('SOPInstanceUID', img.sopUid);
  ds.setStrings('StudyDate', img.studyDate);
  ds.setStrings('SeriesDate', img.studyDate);
  ds.setStrings('StudyTime', '101010');
  ds.setStrings('SeriesTime', '101500');
  ds.setStrings('AccessionNumber', img.accession);
  ds.setStrings('Modality', img.modality);
  ds.setStrings('PatientName', img.patientName);
  ds.setStrings('PatientID', img.patientId);
  ds.setStrings('PatientBirthDate', '19700101');
  ds.setStrings('StudyInstanceUID', img.studyUid);
  ds.setStrings('SeriesInstanceUID', img.seriesUid);
  ds.setStrings('StudyID', '1');
  ds.setStrings('SeriesNumber', img.seriesUid.split('.').pop()!);
  ds.setStrings('InstanceNumber', String(img.instanceNumber));
  ds.setStrings('SliceLocation', `${img.instanceNumber * 2.5}`);
  return ds;
}

/** Writes the images as files `<sop>.dcm` in dir; returns their paths by SOP Instance UID. */
export function writeFixtures(dir: string, which: readonly FixtureImage[] = FIXTURE): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const out = new Map<string, string>();
  for (const img of which) {
    const path = join(dir, `${img.sopUid}.dcm`);
    writeFileSync(path, writeDicomFile(undefined, datasetOf(img), ExplicitVRLittleEndian));
    out.set(img.sopUid, path);
  }
  return out;
}

/** Sends files to a server with our SCU (C-STORE, each in its own syntax); fails on any non-success. */
export async function storeFiles(
  port: number,
  paths: Iterable<string>,
  calledAE = 'CONQUESTSRV1',
): Promise<void> {
  const files = await Promise.all([...paths].map((p) => describeFile(p)));
  const client = await DicomClient.connect(
    { host: '127.0.0.1', port, callingAETitle: 'FIXTURES', calledAETitle: calledAE },
    contextsForFiles(files),
  );
  try {
    for (const f of files) {
      const status = await client.storeFile(f);
      if (status !== 0) throw new Error(`storing ${f.path} answered 0x${status.toString(16)}`);
    }
  } finally {
    await client.release();
  }
}

/** A command's output, collected. */
export function collector(): { write(text: string): boolean; text(): string } {
  let out = '';
  return {
    write: (t: string) => {
      out += t;
      return true;
    },
    text: () => out,
  };
}
