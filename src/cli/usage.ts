/** The text of `dgate -?`, laid out as Conquest's (manual Appendix 5), listing what this version provides. */
import { IMPLEMENTATION_VERSION_NAME } from '../dicom/implementation.js';

export function usage(): string {
  return `DGATE: Conquest TS DICOM server and PACS utility application (${IMPLEMENTATION_VERSION_NAME})
Compatible with the command line of the Conquest DICOM server 1.5.0c.

Usage:
(1) DGATE [-v|-l|-lfile]         Log to stdout (default) | dgate.log | file
          [-p#|-hAE|-qIP|-b]     Set port | AE | target IP | one association at a time, debug log
          [-wDIR]                Set the working directory (dicom.ini, acrnema.map, dgatesop.lst)
          [-i|-r|-arDEV[,dir]]   Init | init and regenerate DB | regen a single device (or dir)
          [-d|-m|-k]             List (-d) devices (-m) AE map (-k) DICOM.SQL
          [-t|-o]                Test console | test database
          [-esap d u p]          Make database d and login u (password p) with admin password sap
          [-f<p|t|s|i>ID]        Delete DB rows of patient, study, series, image (files stay)
          [-f<e|d|z>file]        Enter/delete DB of file, zap server file
          [-faFILE<,ID>]         Add file to server <optionally change PATID>
          [-zID]                 Delete (zap) patient
          [-nd|-nc#,FILE]        NKI de-/compress# FILE
          [-nu IN OUT]           Generic decompress NKI file
          [-jd|-jc#,FILE]        JPEG de-/compress# FILE
          [-j*##|-j-##,FILE]     Recompress FILE to ##
          [-frDEVICE,DIR]        Regen single directory DIR on DEVICE
          [-as#,N|-amFROM,TO]    Select #KB to archive of MAGN | move device data
          [-au|-aeFROM,TO]       Undo select for archiving | rename device
          [-av|-atDEVICE]        Verify mirror disk | test read files for DEVICE
          [-abJUKEBOX1.2,N]      Make cacheset to burn JUKEBOX1, CD2 from MAGN
          [-acJUKEBOX1.2]        Verify JUKEBOX1, CD2 against cacheset
          [-adJUKEBOX1.2]        Verify and delete cacheset for JUKEBOX1, CD2
          [-gSERVER,DATE]        Grab images from SERVER of date not on here
                                 Otherwise: run as server (writes first-install defaults when missing)

(2) DGATE [-pPORT] [-qIP] [-wDIR] [-hAE] --<command>:<arguments>
          Commands about the server, the archive or the configuration go to the running server
          (127.0.0.1 and TCPPort unless -q/-p say otherwise; only OperatorConsole may send them);
          archive and configuration commands run here when no server answers.

Delete options:
  --deleteimagefile:file         Delete given image file from server
  --deletepatient:patid          Delete given patient from server
  --deletestudy:patid:studyuid   Delete given study from server
  --deletestudies:date(range)    Delete studies from server on date
  --deleteseries:patid:seriesuid Delete given series from server
  --deleteimage:patid:sop        Delete given image from server
  --deleteimagefromdb:file       Delete given file from db only
  --deletesopfromdb:pat,study,series,sop  Delete specified image from db only

DICOM move options:
  --movepatient:source,dest,patid          Move patient, source e.g. (local)
  --movestudy:source,dest,patid:studyuid   Move study, patid: optional
  --moveaccession:source,dest,patid:acc    Move by Accession#, patid: optional
  --movestudies:source,dest,date(range)    Move studies on date
  --moveseries:src,dst,patid:seruid,stuid  Move series, patid: optional
  --move:src,dst,p,st,ser,sop              Move patient..image

Maintenance options:
  --initializetables:            Clear and create database (:1 without indices, :2 worklist only)
  --regen:                       Re-generate entire database
  --regendevice:device           Re-generate database for single device
  --regendir:device,dir          Re-generate database for single directory
  --regenfile:file               Re-enter given file in database
  --quit:                        Stop the server
  --safequit:                    Stop the server when not active

Archival options:
  --renamedevice:from,to           Rename device in database
  --verifymirrordisk:device        Verify mirror disk for selected device
  --testimages:device              Test read all images on device
  --movedatatodevice:to,from       Move patients from one device to another
  --moveseriestodevice:to,from     Move series from one device to another
  --selectlruforarchival:kb,device Step 1 for archival: to device.Archiving
  --selectseriestomove:device,age,kb  Step 1 for archival: to device.Archiving
  --preparebunchforburning:to,from Step 2 for archival: moves to cache
  --deletebunchafterburning:deviceto  Step 3 for archival: deletes from cache
  --comparebunchafterburning:deviceto Part step 3 - compare jukebox to cache
  --restoremagflags:               Undo archival so far

Logging options:
  --debuglog_on:file             Start debug logging
  --log_on:file                  Start normal logging
  --debuglevel:#                 Set debug logging level
  --display_status:file          Display server status

Configuration options:
  --get_param:name,fmt           Read any parameter from DICOM.INI (also --get_ini_param)
  --get_ini_num:index,fmt        List any entry from DICOM.INI
  --get_ini:fmt                  List all entries from DICOM.INI
  --put_param:name,value         Write any parameter to DICOM.INI
  --delete_param:name            Delete any parameter from DICOM.INI
  --read_ini:                    Re-read all parameters from DICOM.INI
  --get_amap:index,fmt           List any entry from ACRNEMA.MAP
  --get_amaps:fmt                List all entries from ACRNEMA.MAP
  --put_amap:i,AE,ip,p#,cmp      Write entry in memory for ACRNEMA.MAP
  --delete_amap:index            Delete entry in memory for ACRNEMA.MAP
  --write_amap:                  Write ACRNEMA.MAP from memory to disk
  --read_amap:                   Re-read ACRNEMA.MAP from disk to memory
  --get_sop:index,fmt            List any accepted service class UID (put_sop, delete_sop)
  --get_transfer:index,fmt       List any accepted transfer syntax (put_transfer, delete_transfer)
  --get_application:idx,fmt      List any accepted application UID (put_application, delete_application)
  --get_localae:index,fmt        List any accepted local AE title (put_localae, delete_localae)
  --get_remoteae:index,fmt       List any accepted remote AE title (put_remoteae, delete_remoteae)
  --get_dic:index,fmt            List any dicom dictionary item
  --get_sqldef:level,in,fmt      List any database field definition
  --get_freestore:dev,fmt        Report free #Mb on device

Communication options:
  --addimagefile:file,patid      Copy file into server, optionally new patid
  --addlocalfile:file,patid      Copy local file into server, opt. new patid
  --loadanddeletedir:dir,patid   Load folder and delete its contents
  --dump_header:filein,fileout   Create header dump of file (stdout without fileout)
  --dump_json:filein,fileout     Write the file as DICOM JSON (PS3.18 F.2; stdout without fileout)
  --forward:file,mode,AE         Send file with compr. mode to server (falls back to uncompressed)
  --grabimagesfromserver:AE,date Update this server from other
  --echo:AE,file                 Echo server; show response (AE from acrnema.map, AE@host:port or host:port)

Test options:
  --genuid:                      Generate an UID
  --checksum:string              Give checksum of string
  --clonedb:AE                   Clone db from server for testing
  --make_database:sap,d,u,p      Make the index database and login (what -esap d u p runs)

Conversion options:
  --count_frames:file            Report # frames in DICOM file
  --uncompress:file,out          Uncompress DICOM (NKI and every compressed syntax; in place without out)
  --compress:file,mode,out       Compress DICOM to mode e.g. j2, jk, js, n4 (in place without out)
  --testcompress:file            Enter file in server with many compressions
  --convert_to_gif:file,size,out,l/w/f  Downsize and convert to mono GIF (f>10000: animated, f%100 fps)
  --convert_to_bmp:file,size,out,l/w/f  Downsize and convert to color BMP
  --convert_to_jpg:file,size,out,l/w/f  Downsize and convert to color JPG
  --convert_to_dicom:file,size,comp,f,out  Downsize/compress/frame DICOM
  --extract_frames:file,out,first,last  Select frames of DICOM file (numbered from 0)

Database options:
  --query:table|fields|where|fmt|file       Arbitrary query output to file
  --query2:tab|fld|whe|fmt|max|file         Same but limit output rows to max
  --patientfinder:srv|str|fmt|file          List patients on server
  --studyfinder:srv|str|fmt|file            List studies on server
  --seriesfinder:srv|str|fmt|file           List series on server
  --imagefinder:srv|str|fmt|file            List images on server
  --serieslister:srv|pat|stu|fmt|file       List series in a study
  --imagelister:srv|pat|ser|fmt|file        List (local) files in a series

  -?, --help                     This help

Files are Part 10 (.dcm) or raw data sets (Conquest .v2, Implicit VR Little Endian); every native,
deflated and encapsulated transfer syntax is read.
`;
}
