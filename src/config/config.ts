/**
 * The server's configuration: one typed, frozen object built from Conquest's own files in one folder —
 * dicom.ini (manual 7.2), acrnema.map (7.4) and dgatesop.lst (7.5). Nothing else in the program reads
 * configuration files or the environment for settings (DESIGN.md, "Configuration").
 *
 * - Every dicom.ini key the manual documents is typed here (CONFIG_KEYS, with its default when the key
 *   is absent); any other key is reachable by name with raw(key) / rawIn(section, key).
 * - Keys are read from the section named by `MicroPACS` in [sscscp] (normally [sscscp] itself), as
 *   Conquest does; Lua hooks from [lua]; named scripts from [scripts].
 * - Paths are resolved against the configuration folder. Windows paths from a migrated Conquest install
 *   are mapped when running elsewhere (see mapConfigPath) and each mapping is reported as a warning.
 * - A first start (a file missing) writes Conquest's first-install defaults, adapted to this platform.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, posix, resolve, win32 } from 'node:path';
import { AcrNemaMap, defaultAcrNemaMapText } from './acrnema-map.js';
import { DgatesopList, defaultDgatesopText } from './dgatesop-list.js';
import { ConfigError, IniFile, renderIniEntry } from './ini.js';

export { ConfigError } from './ini.js';

// ---------------------------------------------------------------------------------------------
// The typed keys

export type KeyStatus = 'used' | 'read, not used yet';
type Kind = 'string' | 'number' | 'boolean' | 'path';

/** One dicom.ini key this version types. */
export interface ConfigKey<T extends string | number | boolean = string | number | boolean> {
  /** Conquest's spelling (keys are case-insensitive). */
  readonly key: string;
  /** Other spellings Conquest or its manual use for the same key (the first one present wins). */
  readonly aliases: readonly string[];
  readonly kind: Kind;
  /** The value when the key is absent (or empty). */
  readonly default: T;
  /** 'root' is [sscscp] (or the section MicroPACS names); 'lua' is [lua]. */
  readonly section: 'root' | 'lua';
  /** The manual's grouping, for the documentation. */
  readonly group: string;
  readonly meaning: string;
  readonly status: KeyStatus;
}

interface KeyOptions {
  aliases?: readonly string[];
  status?: KeyStatus;
  section?: 'root' | 'lua';
}

const NOT_YET: KeyStatus = 'read, not used yet';

function def<T extends string | number | boolean>(
  kind: Kind,
  group: string,
  key: string,
  dflt: T,
  meaning: string,
  o: KeyOptions = {},
): ConfigKey<T> {
  return Object.freeze({
    key,
    aliases: o.aliases ?? [],
    kind,
    default: dflt,
    section: o.section ?? 'root',
    group,
    meaning,
    status: o.status ?? NOT_YET,
  });
}
const str = (g: string, k: string, d: string, m: string, o?: KeyOptions) =>
  def<string>('string', g, k, d, m, o);
const num = (g: string, k: string, d: number, m: string, o?: KeyOptions) =>
  def<number>('number', g, k, d, m, o);
const bool = (g: string, k: string, d: boolean, m: string, o?: KeyOptions) =>
  def<boolean>('boolean', g, k, d, m, o);
const path = (g: string, k: string, d: string, m: string, o?: KeyOptions) =>
  def<string>('path', g, k, d, m, o);
const lua = (k: string, m: string) => str('Lua hooks ([lua] section)', k, '', m, { section: 'lua' });

const NET = 'Network';
const DB = 'Database';
const SRV = 'Server';
const CMP = 'Compression';
const DISK = 'Storage';
const QRY = 'Query and worklist';
const VIRT = 'Virtual servers';
const FWD = 'Communication and forwarding';
const CONV = 'Converters';
const GUI = 'Windows GUI and printing';
const WEB = 'Web';
const USED: KeyOptions = { status: 'used' };

/** The scalar keys, by the property name ServerConfig gives them. */
export const SCALAR_KEYS = {
  microPACS: str(
    NET,
    'MicroPACS',
    'sscscp',
    'Read from [sscscp]: names the section all other server keys are read from (normally sscscp itself).',
    USED,
  ),
  myACRNema: str(NET, 'MyACRNema', 'CONQUESTSRV1', "This server's AE title (at most 16 characters).", USED),
  tcpPort: num(NET, 'TCPPort', 5678, 'TCP port the DICOM server listens on.', USED),
  tcpipTimeOut: num(NET, 'TCPIPTimeOut', 300, 'TCP/IP timeout in seconds.', USED),
  maxAssociations: num(
    NET,
    'MaxAssociations',
    64,
    'Conquest TS addition: associations served at once; more are rejected as transient (0: no limit).',
    USED,
  ),
  fsyncStoredFiles: bool(
    DISK,
    'FsyncStoredFiles',
    true,
    'Conquest TS addition: flush each received object to disk before answering success (0: faster, but a crash may lose objects already acknowledged, as with Conquest).',
    USED,
  ),
  maxPDULength: num(
    NET,
    'MaxPDULength',
    65536,
    'Conquest TS addition: largest P-DATA-TF PDU this server accepts, announced in every association (Conquest: 16384).',
    USED,
  ),
  sendUpperCaseAE: bool(NET, 'SendUpperCaseAE', false, 'Always send the called AE title in upper case.'),
  operatorConsole: str(
    NET,
    'OperatorConsole',
    '127.0.0.1',
    'Addresses allowed to send server commands (dgate -q): one, or several separated by commas or spaces; * = any.',
    USED,
  ),
  pacsName: str(NET, 'PACSName', '', 'Name used in log files; empty means MyACRNema.'),
  debugLevel: num(
    NET,
    'DebugLevel',
    0,
    '0: basic debug log; 1: also incoming command objects and worklist results; 2: also query data; 3, 4: more (database queries...).',
    USED,
  ),
  webPort: num(
    WEB,
    'WebPort',
    8080,
    'Conquest TS addition: TCP port of the web interface and DICOMweb (0: off).',
    USED,
  ),
  webAnonymousRole: str(
    WEB,
    'WebAnonymousRole',
    '',
    'Conquest TS addition: the role (viewer, operator, admin) of web and DICOMweb requests without a login; empty: none (every request must log in).',
    USED,
  ),
  webCorsOrigins: str(
    WEB,
    'WebCorsOrigins',
    '',
    'Conquest TS addition: origins allowed to call DICOMweb and WADO from a browser page elsewhere (`*` or a comma list); empty: no CORS headers.',
    USED,
  ),
  webMetadataCacheMB: num(
    WEB,
    'WebMetadataCacheMB',
    256,
    'Conquest TS addition: memory for the precomputed DICOMweb metadata of instances (MB).',
    USED,
  ),
  adminPassword: str(
    WEB,
    'admin_password',
    '',
    'Password of the web login `admin` (admin role), as in the manual Appendix 4; empty: no such login.',
    USED,
  ),
  ladleport: num(WEB, 'Ladleport', 8086, "Port of Conquest's built-in single-user Lua web server (Ladle)."),
  webReadOnly: bool(WEB, 'WEBReadOnly', false, 'Web users cannot write anything.', USED),
  tempDir: path(WEB, 'TempDir', '', 'Folder for temporary files of the CGI web interface.'),

  sqlHost: str(
    DB,
    'SQLHost',
    'localhost',
    'Host of the SQL server (PostgreSQL and MySQL only); Conquest TS also takes host:port.',
    USED,
  ),
  sqlServer: str(
    DB,
    'SQLServer',
    '',
    'SQLite: database file; built-in dBase III driver: folder of the DBF files; MySQL/PostgreSQL: database name; empty: NULL driver (no database).',
    USED,
  ),
  username: str(DB, 'Username', '', 'Database user name.', USED),
  password: str(DB, 'Password', '', 'Database password.', USED),
  postgres: bool(DB, 'Postgres', false, 'Use the PostgreSQL driver.', USED),
  mySQL: bool(DB, 'MySQL', false, 'Use the MySQL/MariaDB driver.', USED),
  sqLite: bool(DB, 'SQLite', true, 'Use the built-in SQLite driver.', USED),
  sqLiteStartup: str(
    DB,
    'SQLiteStartup',
    'PRAGMA synchronous=OFF',
    'SQL run when a SQLite database is opened.',
    USED,
  ),
  doubleBackSlashToDB: bool(
    DB,
    'DoubleBackSlashToDB',
    false,
    'Accepted; no effect: values always travel as bound parameters, so no escaping is needed (Conquest: double backslashes in SQL strings).',
    USED,
  ),
  useEscapeStringConstants: bool(
    DB,
    'UseEscapeStringConstants',
    false,
    'Accepted; no effect: values always travel as bound parameters (Conquest: E-prefixed PostgreSQL strings).',
    USED,
  ),
  utf8ToDB: bool(DB, 'UTF8ToDB', false, 'Convert strings to UTF-8 for the database.'),
  utf8FromDB: bool(
    DB,
    'UTF8FromDB',
    false,
    'Convert strings from UTF-8 coming from the database (ISO_IR 100 expected).',
  ),
  enableComputedFields: bool(
    DB,
    'EnableComputedFields',
    true,
    'Answer computed query keys such as Number of Study Related Instances (one extra count query per result).',
    USED,
  ),
  truncateFieldNames: num(
    DB,
    'TruncateFieldNames',
    10,
    'Truncate database column names to this many characters: 10 as Conquest 1.5.0c in effect (its dbsql.cpp default, and its own queries use SopInstanc, SeriesInst, StudyInsta); 0: no truncation.',
    USED,
  ),
  maxFieldLength: num(
    DB,
    'MaxFieldLength',
    0,
    'Maximum database field length, overruling dicom.sql (254 for DBF; 0: none).',
    USED,
  ),
  packDBF: bool(DB, 'PackDBF', false, 'Built-in dBase III driver: pack the database at startup.'),
  indexDBF: num(
    DB,
    'IndexDBF',
    10,
    'Built-in dBase III driver: build a memory index on PatientID, with this many MB spare.',
  ),
  longQueryDBF: num(
    DB,
    'LongQueryDBF',
    1000,
    'Built-in dBase III driver: report queries slower than this (ms).',
  ),
  allowTruncate: str(
    DB,
    'AllowTruncate',
    '',
    'Comma-separated database fields that may be truncated with a warning instead of an error.',
  ),
  patientQuerySortOrder: str(
    DB,
    'PatientQuerySortOrder',
    '',
    'ORDER BY of patient-level queries (table.field, ...).',
    USED,
  ),
  studyQuerySortOrder: str(DB, 'StudyQuerySortOrder', '', 'ORDER BY of study-level queries.', USED),
  seriesQuerySortOrder: str(DB, 'SeriesQuerySortOrder', '', 'ORDER BY of series-level queries.', USED),
  imageQuerySortOrder: str(DB, 'ImageQuerySortOrder', '', 'ORDER BY of image-level queries.', USED),
  kFactorFile: path(DB, 'kFactorFile', 'dicom.sql', 'The database layout file.'),

  importExportDragAndDrop: bool(
    SRV,
    'ImportExportDragAndDrop',
    true,
    'Dropped/added files pass through the import and export converters.',
  ),
  zipTime: str(
    SRV,
    'ZipTime',
    '05:',
    'Time (hh:mm:ss or a part) at which log files are zipped daily (Windows only).',
  ),
  uidPrefix: str(
    SRV,
    'UIDPrefix',
    '1.2.826.0.1.3680043.2.135.1066',
    'Root of the UIDs the server generates (anonymizing, new UIDs, print); a first start generates one.',
  ),
  fileNameSyntax: str(
    DISK,
    'FileNameSyntax',
    '3',
    'How stored files are named: 0..12, a pattern with % items, or lua:expression.',
    USED,
  ),
  maxFileNameLength: num(
    DISK,
    'MaxFileNameLength',
    255,
    'Truncate stored file names to this length (keep 255 for FileNameSyntax > 6).',
    USED,
  ),
  acrNemaMap: path(SRV, 'ACRNemaMap', 'acrnema.map', 'The AE title map file.', USED),
  sopClassList: path(
    SRV,
    'SOPClassList',
    'dgatesop.lst',
    "The accepted SOP class / transfer syntax list (from Conquest's source).",
    USED,
  ),
  dictionary: path(
    SRV,
    'Dictionary',
    'dgate.dic',
    "Conquest's DICOM dictionary file (Conquest TS has its own dictionary built in).",
  ),
  fixPhilips: bool(SRV, 'FixPhilips', false, 'Strip leading zeros of 10-digit Philips patient IDs.', USED),
  fixKodak: bool(SRV, 'FixKodak', false, 'Strip a leading zero of 8-digit Kodak patient IDs.', USED),
  allowEmptyPatientID: bool(
    SRV,
    'AllowEmptyPatientID',
    false,
    'Accept images without PatientID (looked up from the study); else it becomes 00000000.',
    USED,
  ),
  ignoreOutOfMemoryErrors: bool(
    SRV,
    'IgnoreOutOfMemoryErrors',
    false,
    'Log and ignore out-of-memory errors (1.4.12 behaviour).',
  ),
  noDICOMCheck: bool(
    SRV,
    'NoDICOMCheck',
    false,
    'Ignore DICOM parse errors (1.4.12 behaviour); else the object is rejected.',
  ),
  storageFailedErrorCode: num(
    SRV,
    'StorageFailedErrorCode',
    272,
    'Status sent when storage fails: 272 = 0x0110, processing failure.',
    USED,
  ),
  watchFolder: path(
    SRV,
    'WatchFolder',
    '',
    'Files put in this folder are loaded into the server and deleted.',
    USED,
  ),

  droppedFileCompression: str(
    CMP,
    'DroppedFileCompression',
    'un',
    'Compression of dropped/added files (un, as, n1..n4, j1..j7, js, jk, jl, k1..kc, s0..s9...).',
    USED,
  ),
  incomingCompression: str(
    CMP,
    'IncomingCompression',
    'un',
    'Compression of images received over DICOM (also vX: do not store); SERVER~xx overrides it.',
    USED,
  ),
  archiveCompression: str(
    CMP,
    'ArchiveCompression',
    'as',
    'Compression of images prepared for archival (dgate -as).',
    USED,
  ),
  lossyQuality: num(
    CMP,
    'LossyQuality',
    95,
    'Default quality (JPEG) or bitrate (JPEG 2000) of lossy compression.',
    USED,
  ),

  magDeviceFullThreshHold: num(
    DISK,
    'MAGDeviceFullThreshHold',
    30,
    'Stop storing on a MAG device with less than this many MB free.',
    {
      aliases: ['MAGDeviceFullThreshold'],
      status: 'used',
    },
  ),
  magDeviceThreshold: num(
    DISK,
    'MAGDeviceThreshold',
    0,
    'Below this many MB free, delete least recently used patients (0: never).',
    {
      aliases: ['MAGDeviceThreshHold'],
    },
  ),
  ignoreMAGDeviceThreshHold: bool(
    DISK,
    'IgnoreMAGDeviceThreshHold',
    false,
    'Do not check free disk space before writing.',
    {
      aliases: ['IgnoreMAGDeviceThreshold'],
    },
  ),
  nightlyCleanThreshold: num(
    DISK,
    'NightlyCleanThreshold',
    0,
    'At 01:00, delete least recently used patients until this many MB are free (0: never).',
    {
      aliases: ['NightlyCleanThreshhold'],
    },
  ),
  nightlyMoveThreshhold: num(
    DISK,
    'NightlyMoveThreshhold',
    0,
    'At 02:00, move patients off MAG0 until this many MB are free (0: never).',
    {
      aliases: ['NightlyMoveThreshold'],
    },
  ),
  nightlyMoveTarget: str(DISK, 'NightlyMoveTarget', '', 'Device (e.g. MAG1) patients are moved to at night.'),
  lruSort: str(
    DISK,
    'LRUSort',
    '',
    'Order of deletion/archival: "" (first entered), StudyDate, PatientBir or AccessTime.',
    USED,
  ),

  workListMode: num(
    QRY,
    'WorkListMode',
    0,
    '0: off; 1: fill images from the worklist by AccessionNumber; 2: also refuse images not in it.',
  ),
  workListReturnsISO_IR: num(
    QRY,
    'WorkListReturnsISO_IR',
    100,
    'Worklist answers report Specific Character Set ISO_IR NNN.',
  ),
  queriesReturnISO_IR: num(
    QRY,
    'QueriesReturnISO_IR',
    0,
    'All query answers report Specific Character Set ISO_IR NNN (0: not).',
    USED,
  ),
  enableReadAheadThread: num(
    QRY,
    'EnableReadAheadThread',
    1,
    'Read ahead slices during C-MOVE (1: 5 slices; higher: more; 0: off).',
    USED,
  ),
  prefetcher: bool(
    QRY,
    'Prefetcher',
    false,
    "Queries start prefetching the patient's images into the disk cache.",
  ),

  cacheVirtualData: bool(
    VIRT,
    'CacheVirtualData',
    true,
    'Keep data retrieved for virtual servers (act as a cache).',
  ),
  overlapVirtualGet: num(
    VIRT,
    'OverlapVirtualGet',
    0,
    'Pass virtual-server data on while it arrives, keeping this many objects in memory (0: off).',
  ),

  failHoldOff: num(
    FWD,
    'FailHoldOff',
    60,
    'After an export/mirror failure, defer new requests for this many seconds.',
  ),
  retryDelay: num(FWD, 'RetryDelay', 100, 'Retry deferred exports/mirror copies after this many seconds.'),
  retryForwardFailed: bool(FWD, 'RetryForwardFailed', false, 'Retry failed forwards.'),
  retryForwardRemoteDICOMError: bool(
    FWD,
    'RetryForwardRemoteDICOMError',
    false,
    'A remote DICOM error is a reason to retry a forward.',
  ),
  queueSize: num(
    FWD,
    'QueueSize',
    128,
    'Entries of the queues for mirror copies, export converters and delayed forwards.',
  ),
  maximumExportRetries: num(
    FWD,
    'MaximumExportRetries',
    0,
    'Export converters give up after this many retries (0: never).',
  ),
  maximumDelayedFetchForwardRetries: num(
    FWD,
    'MaximumDelayedFetchForwardRetries',
    0,
    'Delayed forward/preretrieve give up after this many retries (0: never).',
  ),
  delayedForwarderThreads: num(
    FWD,
    'DelayedForwarderThreads',
    1,
    'Concurrent delayed forward commands per ExportConverter line.',
  ),
  forwardCollectDelay: num(
    FWD,
    'ForwardCollectDelay',
    600,
    'Seconds delayed forwards wait for a patient/study/series to be complete.',
  ),
  forwardAssociationLevel: str(
    FWD,
    'ForwardAssociationLevel',
    'STUDY',
    'GLOBAL, SOPCLASS, PATIENT, STUDY, SERIES or IMAGE: forwarders keep an association open while the UID at this level stays the same.',
  ),
  forwardAssociationCloseDelay: num(
    FWD,
    'ForwardAssociationCloseDelay',
    5,
    'Close an idle forward association after this many seconds.',
  ),
  forwardAssociationRefreshDelay: num(
    FWD,
    'ForwardAssociationRefreshDelay',
    3600,
    'Forget the SOP classes a forward destination accepted after this many idle seconds.',
  ),
  forwardAssociationRelease: bool(
    FWD,
    'ForwardAssociationRelease',
    true,
    'Release forward associations properly (0: just hang up).',
  ),

  queryConverter0: str(CONV, 'QueryConverter0', '', 'Script run on every C-FIND request.'),
  workListQueryConverter0: str(
    CONV,
    'WorkListQueryConverter0',
    '',
    'Script run on every worklist C-FIND request.',
  ),
  retrieveConverter0: str(CONV, 'RetrieveConverter0', '', 'Script run on every C-MOVE/C-GET request.'),
  retrieveResultConverter0: str(
    CONV,
    'RetrieveResultConverter0',
    '',
    'Script run on every object a retrieve sends.',
  ),
  queryResultConverter0: str(CONV, 'QueryResultConverter0', '', 'Script run on every query result record.'),
  modalityWorklistQueryResultConverter0: str(
    CONV,
    'ModalityWorklistQueryResultConverter0',
    '',
    'Script run on every worklist query result.',
  ),
  mergeStudiesConverter0: str(
    CONV,
    'MergeStudiesConverter0',
    '',
    'Script run on data being merged into a study.',
  ),
  mergeSeriesConverter0: str(
    CONV,
    'MergeSeriesConverter0',
    '',
    'Script run on data being merged into a series.',
  ),
  archiveConverter0: str(CONV, 'ArchiveConverter0', '', 'Script run on data being archived.'),
  moveDeviceConverter0: str(CONV, 'MoveDeviceConverter0', '', 'Script run on data moved between devices.'),
  rejectedImageConverter0: str(
    CONV,
    'RejectedImageConverter0',
    '',
    'Script run on images refused for storage.',
  ),
  rejectedImageWorkListConverter0: str(
    CONV,
    'RejectedImageWorkListConverter0',
    '',
    'Script run on images refused by WorkListMode 2.',
  ),
  virtualServerQueryConverter: str(
    CONV,
    'VirtualServerQueryConverter',
    '',
    'Script run on queries a virtual server passes on.',
  ),
  virtualServerQueryResultConverter: str(
    CONV,
    'VirtualServerQueryResultConverter',
    '',
    'Script run on results of those queries.',
  ),

  luaAssociation: lua(
    'association',
    'Lua run at the start of each association (also sets the Lua search path).',
  ),
  luaEndAssociation: lua('endassociation', 'Lua run at the end of each association.'),
  luaCommand: lua('command', 'Lua run for each DICOM command.'),
  luaClientError: lua('clienterror', 'Lua run for each DICOM client error.'),
  luaPrintServer: lua('printserver', 'Lua run for each print command.'),
  luaStartup: lua('startup', "Lua run when the server starts (from Conquest's source, not in the manual)."),
  luaNightly: lua('nightly', "Lua run nightly (from Conquest's source, not in the manual)."),
  luaBackground: lua('background', "Lua run in the background (from Conquest's source, not in the manual)."),

  keepAlive: num(
    GUI,
    'KeepAlive',
    0,
    'Test the server every N seconds and restart it when it does not answer (Windows GUI; 0: off).',
  ),
  largeFileSizeKB: num(
    GUI,
    'LargeFileSizeKB',
    4096,
    'Windows GUI: larger files are not displayed automatically.',
  ),
  externalViewer: str(GUI, 'ExternalViewer', '', 'Windows GUI: external viewer executable.'),
  demoViewer: str(GUI, 'DemoViewer', '', 'Windows: executable called for each incoming slice.'),
  demoCopy: path(GUI, 'DemoCopy', '', 'Windows: folder receiving a copy of each incoming slice.'),
  headerbmp: path(GUI, 'Headerbmp', '', 'Print server: bitmap at the top of each page.'),
  footerbmp: path(GUI, 'Footerbmp', '', 'Print server: bitmap at the bottom of each page.'),
  backgroundbmp: path(GUI, 'Backgroundbmp', '', 'Print server: bitmap behind each page.'),
} as const;

type ValueOf<K> = K extends ConfigKey<infer T> ? T : never;

/** The typed scalar settings (see SCALAR_KEYS for keys, defaults and meanings). */
export type ScalarSettings = { readonly [P in keyof typeof SCALAR_KEYS]: ValueOf<(typeof SCALAR_KEYS)[P]> };

/** Families of numbered keys and sections, for the documentation (ServerConfig gives them as arrays). */
export interface ConfigKeyFamily {
  readonly key: string;
  readonly default: string;
  readonly group: string;
  readonly meaning: string;
  readonly status: KeyStatus;
}

export const KEY_FAMILIES: readonly ConfigKeyFamily[] = Object.freeze([
  {
    key: 'MAGDevices',
    default: '1',
    group: DISK,
    meaning: 'Number of storage devices MAGDevice0..N-1.',
    status: NOT_YET,
  },
  {
    key: 'MAGDevice0..N',
    default: './data/',
    group: DISK,
    meaning: 'Folder of each storage device (ServerConfig.magDevices, resolved, ending with a separator).',
    status: NOT_YET,
  },
  {
    key: 'MIRRORDevices, MIRRORDevice0..N',
    default: '0, none',
    group: DISK,
    meaning: 'Mirror folder of each MAG device (ServerConfig.mirrorDevices; "" for none).',
    status: 'used',
  },
  {
    key: 'CACHEDevices, CACHEDevice0..N',
    default: '0, none',
    group: DISK,
    meaning: 'Cache folders for jukebox archival, with two %d fields (ServerConfig.cacheDevices).',
    status: 'used',
  },
  {
    key: 'JUKEBOXDevices, JUKEBOXDevice0..N',
    default: '0, none',
    group: DISK,
    meaning: 'Jukebox folders, with one %d field (ServerConfig.jukeboxDevices).',
    status: 'used',
  },
  {
    key: 'VirtualServerFor0..9',
    default: '""',
    group: VIRT,
    meaning:
      'AE titles (from acrnema.map, optionally ,FIXKODAK ,CACHESERIES ,CACHESTUDIES ,NONVIRTUAL) whose data this server merges into its answers.',
    status: NOT_YET,
  },
  {
    key: 'VirtualServerPerSeries0..9',
    default: '0',
    group: VIRT,
    meaning:
      'Fetch whole series from VirtualServerForN when more than N images are asked for (0: image by image).',
    status: NOT_YET,
  },
  {
    key: 'ExportConverters',
    default: '0',
    group: CONV,
    meaning: 'Number of export converters (at most 20).',
    status: NOT_YET,
  },
  {
    key: 'ExportConverterN, ExportModalityN, ExportStationNameN, ExportCalledAEN, ExportCallingAEN, ExportFilterN',
    default: '"", *, *, *, *, ""',
    group: CONV,
    meaning:
      'Export converter N: the script run after storage and the filters an image must match (ServerConfig.exportConverters).',
    status: NOT_YET,
  },
  {
    key: 'ImportConverters',
    default: 'highest N present + 1',
    group: CONV,
    meaning: 'Maximum number of import converters (need not be given).',
    status: NOT_YET,
  },
  {
    key: 'ImportConverterN, ImportModalityN, ImportStationNameN, ImportCalledAEN, ImportCallingAEN',
    default: '"", *, *, *, *',
    group: CONV,
    meaning:
      'Import converter N: the script run on each incoming image before storage, and its filters (ServerConfig.importConverters).',
    status: NOT_YET,
  },
  {
    key: 'CompressionConverter0..9',
    default: '""',
    group: CMP,
    meaning: 'Scripts run by the compression modes s0..s9 (ServerConfig.compressionConverters).',
    status: NOT_YET,
  },
  {
    key: '[scripts] name = script',
    default: 'none',
    group: CONV,
    meaning: 'Named scripts callable from converters (ServerConfig.scripts, ServerConfig.script(name)).',
    status: NOT_YET,
  },
]);

/** The typed scalar keys, in documentation order (KEY_FAMILIES has the numbered ones). */
export function configKeys(): readonly ConfigKey[] {
  return Object.values(SCALAR_KEYS);
}

// ---------------------------------------------------------------------------------------------
// The config object

export type DatabaseDriver = 'sqlite' | 'mysql' | 'postgres' | 'dbase' | 'null';

/** One import or export converter with its filters ('*' matches anything; '' matches only an empty value). */
export interface ConverterRule {
  readonly index: number;
  readonly converter: string;
  readonly modality: string;
  readonly stationName: string;
  readonly calledAE: string;
  readonly callingAE: string;
  /** ExportFilterN (an SQL condition); always '' for import converters. */
  readonly filter: string;
}

export interface ServerConfig extends ScalarSettings {
  /** The configuration folder (absolute): relative paths are resolved against it. */
  readonly dir: string;
  /** The section the server keys are read from (MicroPACS, normally 'sscscp'). */
  readonly rootSection: string;
  /** Which database driver the SQL keys select: Postgres, MySQL, else NULL when SQLServer is empty, else SQLite or dBase III. */
  readonly databaseDriver: DatabaseDriver;
  /** MAGDevice0..MAGDevices-1, resolved, each ending with a path separator. */
  readonly magDevices: readonly string[];
  /** MIRRORDevice0..MIRRORDevices-1 (mirror of the MAG device with the same number; '' for none). */
  readonly mirrorDevices: readonly string[];
  readonly cacheDevices: readonly string[];
  readonly jukeboxDevices: readonly string[];
  /** VirtualServerFor0..9 ('' where not set). */
  readonly virtualServerFor: readonly string[];
  /** VirtualServerPerSeries0..9. */
  readonly virtualServerPerSeries: readonly number[];
  readonly exportConverters: readonly ConverterRule[];
  readonly importConverters: readonly ConverterRule[];
  /** CompressionConverter0..9 ('' where not set). */
  readonly compressionConverters: readonly string[];
  /** The [scripts] section: name (as written) → script. */
  readonly scripts: ReadonlyMap<string, string>;
  /** Any key of the root section by name (case-insensitive), its value as Conquest reads it; undefined when absent. */
  raw(key: string): string | undefined;
  /** Any key of any section by name (both case-insensitive). */
  rawIn(section: string, key: string): string | undefined;
  /** A [scripts] entry by name (case-insensitive). */
  script(name: string): string | undefined;
}

export interface BuildOptions {
  /** The platform whose path rules apply (default: this one). On win32, Windows paths are used as they are. */
  platform?: NodeJS.Platform;
}

// ---------------------------------------------------------------------------------------------
// Paths

const DRIVE_ABSOLUTE = /^[A-Za-z]:[\\/]/;

/**
 * The folder of a Windows Conquest install, guessed from MAGDevice0 (`C:\dicomserver\data\` →
 * `C:\dicomserver\`): Conquest puts its first device in the install folder, next to dicom.ini.
 */
export function windowsInstallRoot(magDevice0: string | undefined): string | undefined {
  if (magDevice0 === undefined || !DRIVE_ABSOLUTE.test(magDevice0)) return undefined;
  const parts = magDevice0.replace(/\//g, '\\').replace(/\\+$/, '').split('\\');
  if (parts.length < 2) return undefined;
  return `${parts.slice(0, -1).join('\\')}\\`;
}

/**
 * Resolves a path from the configuration against the configuration folder `dir`, keeping a trailing
 * separator. Away from Windows, Windows paths from a migrated install are mapped into `dir`:
 *
 * - `X:\...` under the Windows install folder (see windowsInstallRoot; `C:\dicomserver\` when
 *   MAGDevice0 is `C:\dicomserver\data\`) → the same path under `dir`: `C:\dicomserver\data\dbase\x.db3`
 *   → `<dir>/data/dbase/x.db3`;
 * - any other `X:\rest` (another drive or folder) → `<dir>/rest`;
 * - `\\host\share\rest` (UNC) → `<dir>/rest`; `\rest` → `<dir>/rest`;
 * - relative paths with backslashes (`.\data\`) → the same with '/'.
 *
 * `mapped` is true for the first three cases, which deserve a warning: the user should check the
 * result, and Linux file names are case-sensitive where Windows ones were not.
 */
export function mapConfigPath(
  value: string,
  dir: string,
  options: { platform?: NodeJS.Platform; windowsRoot?: string | undefined } = {},
): { path: string; mapped: boolean } {
  if (value === '') return { path: '', mapped: false };
  const platform = options.platform ?? process.platform;
  const p = platform === 'win32' ? win32 : posix;
  const trailing = /[\\/]$/.test(value);
  const finish = (out: string, mapped: boolean) => ({
    path: trailing && !out.endsWith(p.sep) ? out + p.sep : out,
    mapped,
  });
  if (platform === 'win32') return finish(p.resolve(dir, value), false);
  const slashes = (x: string) => x.replace(/\\/g, '/');
  if (DRIVE_ABSOLUTE.test(value)) {
    const win = value.replace(/\//g, '\\');
    const root = options.windowsRoot;
    const rest =
      root && win.toLowerCase().startsWith(root.toLowerCase()) ? win.slice(root.length) : win.slice(3);
    return finish(p.resolve(dir, slashes(rest)), true);
  }
  if (value.startsWith('\\\\')) {
    const parts = value.slice(2).split(/[\\/]/);
    return finish(p.resolve(dir, parts.slice(2).join('/')), true);
  }
  if (value.startsWith('\\')) return finish(p.resolve(dir, slashes(value.slice(1))), true);
  return finish(p.resolve(dir, slashes(value)), false);
}

// ---------------------------------------------------------------------------------------------
// Building ServerConfig from dicom.ini

/** Where a value came from, for messages. */
interface Source {
  key: string;
  value: string;
  line: number;
}

function parseNumber(s: Source, file: string, warnings: string[]): number | undefined {
  const t = s.value.trim();
  if (t === '') return undefined;
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|\d+)(.*)$/.exec(t);
  if (!m) throw new ConfigError(file, s.line, `${s.key} = ${t}: expected a number`);
  if (m[3]!.trim() !== '')
    warnings.push(`${file}, line ${s.line}: ${s.key} = ${t}: the text after the number is ignored`);
  const n =
    m[2]!.startsWith('0x') || m[2]!.startsWith('0X')
      ? Number.parseInt(m[2]!, 16)
      : Number.parseInt(m[2]!, 10);
  return m[1] === '-' ? -n : n;
}

function parseBoolean(s: Source, file: string, warnings: string[]): boolean | undefined {
  const t = s.value.trim();
  if (t === '') return undefined;
  const lower = t.toLowerCase();
  if (lower === 'true' || lower === 'yes' || lower === 'on') return true;
  if (lower === 'false' || lower === 'no' || lower === 'off') return false;
  const m = /^[+-]?\d+/.exec(t);
  if (!m) throw new ConfigError(file, s.line, `${s.key} = ${t}: expected 0 or 1`);
  if (m[0].length !== t.length)
    warnings.push(`${file}, line ${s.line}: ${s.key} = ${t}: the text after the number is ignored`);
  return Number.parseInt(m[0], 10) !== 0;
}

/**
 * Builds the typed configuration from dicom.ini. Throws ConfigError (file and line) for a typed key whose
 * value cannot be read as its type; collects warnings (mapped Windows paths, missing devices...).
 */
export function buildServerConfig(
  ini: IniFile,
  dir: string,
  options: BuildOptions = {},
): { config: ServerConfig; warnings: string[] } {
  const absDir = resolve(dir);
  const warnings: string[] = [];
  const file = ini.file;
  const root = ini.get('sscscp', 'MicroPACS') || 'sscscp';
  if (!ini.hasSection(root))
    warnings.push(
      `${file}: there is no [${root}] section${root === 'sscscp' ? '' : ' (named by MicroPACS)'}; defaults are used`,
    );
  const platform = options.platform ?? process.platform;

  const lookup = (section: string, key: string, aliases: readonly string[] = []): Source | undefined => {
    for (const k of [key, ...aliases]) {
      const e = ini.entry(section, k);
      if (e) return { key: e.key, value: e.value, line: e.line };
    }
    return undefined;
  };

  const windowsRoot = platform === 'win32' ? undefined : windowsInstallRoot(ini.get(root, 'MAGDevice0'));
  const toPath = (s: Source | undefined, fallback: string): string => {
    const value = s?.value ?? fallback;
    const r = mapConfigPath(value, absDir, { platform, windowsRoot });
    if (r.mapped && s)
      warnings.push(
        `${file}, line ${s.line}: ${s.key} = ${value} is a Windows path; using ${r.path} (edit ${file} to change it)`,
      );
    return r.path;
  };
  const separator = platform === 'win32' ? '\\' : '/';
  const device = (s: Source | undefined, fallback: string): string => {
    const p = toPath(s, fallback);
    return p === '' || p.endsWith(separator) ? p : p + separator;
  };

  const scalars: Record<string, string | number | boolean> = {};
  for (const [prop, k] of Object.entries(SCALAR_KEYS) as [string, ConfigKey][]) {
    const section = k.section === 'lua' ? 'lua' : root;
    const s =
      lookup(section, k.key, k.aliases) ?? (k.section === 'lua' ? lookup(root, k.key, k.aliases) : undefined);
    let v: string | number | boolean | undefined;
    if (s)
      switch (k.kind) {
        case 'number':
          v = parseNumber(s, file, warnings);
          break;
        case 'boolean':
          v = parseBoolean(s, file, warnings);
          break;
        case 'path':
          v = s.value === '' ? undefined : toPath(s, '');
          break;
        default:
          v = s.value;
      }
    if (v === undefined) v = k.kind === 'path' ? toPath(undefined, k.default as string) : k.default;
    scalars[prop] = v;
  }
  if (scalars['pacsName'] === '') scalars['pacsName'] = scalars['myACRNema']!;
  if ((scalars['myACRNema'] as string).length > 16)
    warnings.push(
      `${file}: MyACRNema '${scalars['myACRNema']}' is longer than the 16 characters an AE title may have`,
    );

  const postgres = scalars['postgres'] === true;
  const mysql = scalars['mySQL'] === true;
  const sqlServer = scalars['sqlServer'] as string;
  const databaseDriver: DatabaseDriver = postgres
    ? 'postgres'
    : mysql
      ? 'mysql'
      : sqlServer === ''
        ? 'null'
        : scalars['sqLite'] === true
          ? 'sqlite'
          : 'dbase';
  if (databaseDriver === 'sqlite' || databaseDriver === 'dbase')
    scalars['sqlServer'] = toPath(lookup(root, 'SQLServer'), sqlServer);

  const count = (key: string, dflt: number): number => {
    const s = lookup(root, key);
    return (s && parseNumber(s, file, warnings)) ?? dflt;
  };
  const devices = (countKey: string, prefix: string, dflt: number, first?: string): string[] => {
    const n = Math.max(0, count(countKey, dflt));
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = lookup(root, `${prefix}${i}`);
      if (!s && !(i === 0 && first !== undefined)) {
        warnings.push(`${file}: ${countKey} is ${n} but ${prefix}${i} is not set`);
        out.push('');
        continue;
      }
      out.push(device(s, first ?? ''));
    }
    return out;
  };

  const magDevices = devices('MAGDevices', 'MAGDevice', 1, './data/');
  const mirrorDevices = devices('MIRRORDevices', 'MIRRORDevice', 0);
  const cacheDevices = devices('CACHEDevices', 'CACHEDevice', 0);
  const jukeboxDevices = devices('JUKEBOXDevices', 'JUKEBOXDevice', 0);

  const text = (key: string, dflt: string) => lookup(root, key)?.value ?? dflt;
  const virtualServerFor = Array.from({ length: 10 }, (_, i) => text(`VirtualServerFor${i}`, ''));
  const virtualServerPerSeries = Array.from({ length: 10 }, (_, i) => {
    const s = lookup(root, `VirtualServerPerSeries${i}`);
    return (s && parseNumber(s, file, warnings)) ?? 0;
  });
  const compressionConverters = Array.from({ length: 10 }, (_, i) => text(`CompressionConverter${i}`, ''));

  const rule = (kind: 'Export' | 'Import', i: number): ConverterRule => ({
    index: i,
    converter: text(`${kind}Converter${i}`, ''),
    modality: text(`${kind}Modality${i}`, '*'),
    stationName: text(`${kind}StationName${i}`, '*'),
    calledAE: text(`${kind}CalledAE${i}`, '*'),
    callingAE: text(`${kind}CallingAE${i}`, '*'),
    filter: kind === 'Export' ? text(`ExportFilter${i}`, '') : '',
  });
  let exportCount = Math.max(0, count('ExportConverters', 0));
  if (exportCount > 20) {
    warnings.push(`${file}: ExportConverters = ${exportCount}; Conquest supports at most 20`);
    exportCount = 20;
  }
  const exportConverters = Array.from({ length: exportCount }, (_, i) => rule('Export', i));
  const numbered = /^importconverter(\d+)$/i;
  let importCount = 0;
  for (const e of ini.entries(root)) {
    const m = numbered.exec(e.key);
    if (m) importCount = Math.max(importCount, Number(m[1]) + 1);
  }
  const declaredImports = lookup(root, 'ImportConverters');
  if (declaredImports) importCount = Math.max(0, parseNumber(declaredImports, file, warnings) ?? importCount);
  const importConverters: ConverterRule[] = [];
  for (let i = 0; i < importCount; i++) {
    const r = rule('Import', i);
    if (r.converter !== '') importConverters.push(r);
  }

  const scripts = new Map<string, string>();
  for (const e of ini.entries('scripts'))
    if (![...scripts.keys()].some((k) => same(k, e.key))) scripts.set(e.key, e.value);

  const config: ServerConfig = Object.freeze({
    ...(scalars as ScalarSettings),
    dir: absDir,
    rootSection: root,
    databaseDriver,
    magDevices: Object.freeze(magDevices),
    mirrorDevices: Object.freeze(mirrorDevices),
    cacheDevices: Object.freeze(cacheDevices),
    jukeboxDevices: Object.freeze(jukeboxDevices),
    virtualServerFor: Object.freeze(virtualServerFor),
    virtualServerPerSeries: Object.freeze(virtualServerPerSeries),
    exportConverters: Object.freeze(exportConverters.map((r) => Object.freeze(r))),
    importConverters: Object.freeze(importConverters.map((r) => Object.freeze(r))),
    compressionConverters: Object.freeze(compressionConverters),
    scripts,
    raw: (key: string) => ini.get(root, key),
    rawIn: (section: string, key: string) => ini.get(section, key),
    script: (name: string) => ini.get('scripts', name),
  });
  return { config, warnings };
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// First-start defaults

/** Days since 0001-01-01 (which is day 1) and milliseconds since midnight, local time, as Delphi's TTimeStamp. */
function timeStamp(now: Date): { date: number; time: number } {
  const days = Math.floor(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / 86_400_000);
  const time =
    ((now.getHours() * 60 + now.getMinutes()) * 60 + now.getSeconds()) * 1000 + now.getMilliseconds();
  return { date: 719_163 + days, time };
}

/**
 * A fresh UIDPrefix as Conquest's installer makes one (manual 7.2: 1.2.826.0.1.3680043.2.135.Date.Time):
 * the Date is the day number counted from 1 January of year 1, the Time the milliseconds since midnight
 * (the manual's example 1.2.826.0.1.3680043.2.135.736036.74015798 is 13 March 2016, 20:33:35.798).
 */
export function generateUidPrefix(now: Date = new Date()): string {
  const { date, time } = timeStamp(now);
  return `1.2.826.0.1.3680043.2.135.${date}.${time}`;
}

export interface DefaultIniOptions {
  ae?: string;
  port?: number;
  uidPrefix?: string;
  /** For the generated UIDPrefix. */
  now?: Date;
}

/**
 * The dicom.ini a first start writes: the manual's listing of what 1.4.19d and later generate (7.2),
 * adapted: MAGDevice0 = ./data/, SQLServer = ./data/dbase/conquest.db3 (SQLite), a fresh UIDPrefix, and
 * WebPort for the Conquest TS web interface.
 */
export function defaultDicomIniText(options: DefaultIniOptions = {}): string {
  const ae = options.ae ?? 'CONQUESTSRV1';
  const e = renderIniEntry;
  return [
    '# This file contains configuration information for the DICOM server',
    '# Do not edit unless you know what you are doing',
    '',
    '[sscscp]',
    e('MicroPACS', 'sscscp'),
    '',
    '# Network configuration: server name and TCP/IP port#',
    e('MyACRNema', ae),
    e('TCPPort', String(options.port ?? 5678)),
    '',
    '# Host, database, username and password for database',
    e('SQLHost', 'localhost'),
    e('SQLServer', './data/dbase/conquest.db3'),
    e('Username', ''),
    e('Password', ''),
    e('SQLite', '1'),
    e('DoubleBackSlashToDB', '0'),
    e('UseEscapeStringConstants', '0'),
    '',
    '# Configure server',
    e('ImportExportDragAndDrop', '1'),
    e('ZipTime', '05:'),
    e('UIDPrefix', options.uidPrefix ?? generateUidPrefix(options.now)),
    e('EnableComputedFields', '1'),
    '',
    e('FileNameSyntax', '4'),
    '',
    '# Configuration of compression for incoming images and archival',
    e('DroppedFileCompression', 'un'),
    e('IncomingCompression', 'un'),
    e('ArchiveCompression', 'as'),
    '',
    '# For debug information',
    e('PACSName', ae),
    e('OperatorConsole', '127.0.0.1'),
    e('DebugLevel', '0'),
    '',
    '# Configuration of disk(s) to store images',
    e('MAGDeviceFullThreshHold', '30'),
    e('MAGDevices', '1'),
    e('MAGDevice0', './data/'),
    '',
    '# Conquest TS: port of the web interface and DICOMweb',
    e('WebPort', '8080'),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Loading

/** The whole configuration, as read from one folder. */
export interface LoadedConfig {
  /** The configuration folder (absolute). */
  readonly dir: string;
  readonly server: ServerConfig;
  readonly ini: IniFile;
  readonly iniPath: string;
  readonly acrNemaMap: AcrNemaMap;
  readonly acrNemaMapPath: string;
  readonly sopList: DgatesopList;
  readonly sopListPath: string;
  /** The files this call wrote because they were missing (absolute paths, in the order written). */
  readonly created: readonly string[];
  /** Things worth telling the user (mapped Windows paths, duplicate keys...); nothing was wrong enough to stop. */
  readonly warnings: readonly string[];
}

export interface LoadOptions extends BuildOptions {
  /** Write missing files (default true); false builds the same defaults in memory only. */
  writeDefaults?: boolean;
  /** The clock for a generated UIDPrefix. */
  now?: Date;
}

/**
 * Reads dicom.ini, acrnema.map and dgatesop.lst from `dir` (the last two where dicom.ini's ACRNemaMap and
 * SOPClassList say, by default in `dir`). A missing file is created with Conquest's first-install
 * defaults (and listed in `created`); a missing `dir` is created. Malformed files throw ConfigError
 * naming the file and line.
 */
export function loadConfig(dir: string, options: LoadOptions = {}): LoadedConfig {
  const absDir = resolve(dir);
  const write = options.writeDefaults ?? true;
  const created: string[] = [];
  const warnings: string[] = [];
  if (write && !existsSync(absDir)) mkdirSync(absDir, { recursive: true });

  const iniPath = join(absDir, 'dicom.ini');
  let ini: IniFile;
  if (existsSync(iniPath)) ini = IniFile.read(iniPath);
  else {
    ini = IniFile.parse(defaultDicomIniText(options.now ? { now: options.now } : {}), iniPath);
    if (write) {
      ini.write(iniPath);
      created.push(iniPath);
    }
  }
  warnings.push(...ini.warnings);
  const built = buildServerConfig(ini, absDir, options);
  warnings.push(...built.warnings);
  const server = built.config;

  const acrNemaMapPath = server.acrNemaMap;
  let acrNemaMap: AcrNemaMap;
  if (existsSync(acrNemaMapPath)) acrNemaMap = AcrNemaMap.read(acrNemaMapPath);
  else {
    acrNemaMap = AcrNemaMap.parse(defaultAcrNemaMapText(server.myACRNema, server.tcpPort), acrNemaMapPath);
    if (write) {
      acrNemaMap.write(acrNemaMapPath);
      created.push(acrNemaMapPath);
    }
  }
  warnings.push(...acrNemaMap.warnings);

  const sopListPath = server.sopClassList;
  let sopList: DgatesopList;
  if (existsSync(sopListPath)) sopList = DgatesopList.read(sopListPath);
  else {
    sopList = DgatesopList.parse(defaultDgatesopText(), sopListPath);
    if (write) {
      sopList.write(sopListPath);
      created.push(sopListPath);
    }
  }
  warnings.push(...sopList.warnings);

  return Object.freeze({
    dir: absDir,
    server,
    ini,
    iniPath,
    acrNemaMap,
    acrNemaMapPath,
    sopList,
    sopListPath,
    created: Object.freeze(created),
    warnings: Object.freeze(warnings),
  });
}
