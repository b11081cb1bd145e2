/** The text of `dgate -?`, laid out as Conquest's (manual Appendix 5), listing what this version provides. */
import { IMPLEMENTATION_VERSION_NAME } from '../dicom/implementation.js';

export function usage(): string {
  return `DGATE: Conquest TS DICOM server and PACS utility application (${IMPLEMENTATION_VERSION_NAME})
Compatible with the command line of the Conquest DICOM server 1.5.0c.

Usage:
  dgate -?                          This help (also --help)
  dgate --command:arguments         Run a command

Communication options:
  --dump_header:filein,fileout      Create header dump of file (stdout without fileout)
  --dump_json:filein,fileout        Write the file as DICOM JSON (PS3.18 F.2; stdout without fileout)

Files are Part 10 (.dcm) or raw data sets (Conquest .v2, Implicit VR Little Endian); every native,
deflated and encapsulated transfer syntax is read.
`;
}
