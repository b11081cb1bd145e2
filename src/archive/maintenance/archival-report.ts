/**
 * What the archival operations share for their report: the options (where the "Archival: ..." lines go),
 * and the patient-by-patient check of every file of a device (VerifyMirrorDisk, TestImages,
 * CompareBunchAfterBurning).
 */
import type { IndexHandle, MaintenanceOptions } from './common.js';
import { type DeviceImage, groupBy, imagesOnDevice } from './device-rows.js';
import type { TransferHooks } from './device-transfer.js';

export interface ArchivalOptions extends MaintenanceOptions {
  /** Where the report lines go (Conquest's operator console); default: the log. */
  print?: (line: string) => void;
  /** Test hooks of the file moves. */
  hooks?: TransferHooks;
}

export function printer(options: ArchivalOptions): (line: string) => void {
  return options.print ?? ((line) => options.log.info(line));
}

export interface CheckFailure {
  readonly file: string;
  readonly reason: string;
}

export interface CheckResult {
  /** Files checked. */
  readonly files: number;
  readonly failures: readonly CheckFailure[];
  /** Patients whose files all passed, and those with a failure. */
  readonly passed: readonly string[];
  readonly failed: readonly string[];
}

/**
 * Runs `check` on every image row of `device`, patient by patient (most recent patient first, as Conquest's
 * VerifyMirrorDisk and TestImages go), reporting each failing file and each patient.
 */
export async function checkDevice(
  ix: IndexHandle,
  device: string,
  check: (row: DeviceImage) => Promise<string | undefined>,
  lines: { passed: string; failed: string; failure: (row: DeviceImage, why: string) => string },
  options: ArchivalOptions,
): Promise<CheckResult> {
  const print = printer(options);
  const patients = [...groupBy(await imagesOnDevice(ix, ix.driver, device), (r) => r.patientId)].reverse();
  const failures: CheckFailure[] = [];
  const passed: string[] = [];
  const failed: string[] = [];
  let files = 0;
  for (const [patientId, rows] of patients) {
    let ok = true;
    for (const row of rows) {
      files++;
      const why = await check(row);
      if (why === undefined) continue;
      ok = false;
      const line = lines.failure(row, why);
      failures.push({ file: row.file, reason: why });
      print(line);
    }
    (ok ? passed : failed).push(patientId);
    print(`${ok ? lines.passed : lines.failed}${patientId}`);
  }
  return { files, failures, passed, failed };
}
