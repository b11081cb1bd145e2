/** The text of `dgate -?`, laid out as Conquest's (manual Appendix 5), listing what this version provides. */
import { IMPLEMENTATION_VERSION_NAME } from '../dicom/implementation.js';

export function usage(): string {
  return `DGATE: Conquest TS DICOM server and PACS utility application (${IMPLEMENTATION_VERSION_NAME})
Compatible with the command line of the Conquest DICOM server 1.5.0c.

Usage:
(1) DGATE [-v|-l|-lfile]         Log to stdout (default) | dgate.log | file
          [-p#|-hAE|-b]          Set port | AE | one association at a time, debug log
          [-wDIR]                Set the working directory (dicom.ini, acrnema.map, dgatesop.lst)
                                 Otherwise: run as server (writes first-install defaults when missing)

(2) DGATE [-wDIR] [-hAE] --command:arguments

Communication options:
  --echo:AE,file                 Echo server; show response (AE from acrnema.map, AE@host:port or host:port)
  --forward:file,mode,AE         Send file to server (mode: sent as is in this version)
  --movepatient:source,dest,patid          Move patient, source e.g. (local)
  --movestudy:source,dest,patid:studyuid   Move study, patid: optional
  --moveseries:src,dst,patid:seruid,stuid  Move series, patid: optional
  --move:src,dst,p,st,ser,sop              Move patient..image
  --dump_header:filein,fileout   Create header dump of file (stdout without fileout)
  --dump_json:filein,fileout     Write the file as DICOM JSON (PS3.18 F.2; stdout without fileout)

  -?, --help                     This help

Files are Part 10 (.dcm) or raw data sets (Conquest .v2, Implicit VR Little Endian); every native,
deflated and encapsulated transfer syntax is read.
`;
}
