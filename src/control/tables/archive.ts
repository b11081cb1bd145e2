/**
 * Archive maintenance (manual Appendix 5): tables and regen, adding and deleting objects, the arbitrary
 * query, and the switches that run them. All run in the server when one answers, else locally.
 */
import { type CommandTable, entry } from './types.js';

const archive = () => import('../commands/archive.js');

export const ARCHIVE_COMMANDS: CommandTable = {
  commands: {
    initializetables: entry('either', archive, (m) => m.initializeTablesCommand),
    regen: entry('either', archive, (m) => m.regenCommand),
    regendevice: entry('either', archive, (m) => m.regenDeviceCommand),
    regendir: entry('either', archive, (m) => m.regenDirCommand),
    regenfile: entry('either', archive, (m) => m.regenFileCommand),
    // Conquest TS: what -r runs (initialize, then regen).
    initregen: entry('either', archive, (m) => m.initRegenCommand),
    addimagefile: entry('either', archive, (m) => m.addImageFileCommand),
    addlocalfile: entry('either', archive, (m) => m.addImageFileCommand),
    loadanddeletedir: entry('either', archive, (m) => m.loadAndDeleteDirCommand),
    deletepatient: entry('either', archive, (m) => m.deletePatientCommand),
    deletestudy: entry('either', archive, (m) => m.deleteStudyCommand),
    deletestudies: entry('either', archive, (m) => m.deleteStudiesCommand),
    deleteseries: entry('either', archive, (m) => m.deleteSeriesCommand),
    deleteimage: entry('either', archive, (m) => m.deleteImageCommand),
    deleteimagefile: entry('either', archive, (m) => m.deleteImageFileCommand),
    deleteimagefromdb: entry('either', archive, (m) => m.deleteImageFromDbCommand),
    deletesopfromdb: entry('either', archive, (m) => m.deleteSopFromDbCommand),
    // Conquest TS: what -fp, -ft, -fs, -fi run ("Delete DB for ...": the rows go, the files stay).
    deletepatientdb: entry('either', archive, (m) => m.deletePatientDbCommand),
    deletestudydb: entry('either', archive, (m) => m.deleteStudyDbCommand),
    deleteseriesdb: entry('either', archive, (m) => m.deleteSeriesDbCommand),
    deleteimagedb: entry('either', archive, (m) => m.deleteImageDbCommand),
    query: entry('either', archive, (m) => m.queryCommandRun),
    query2: entry('either', archive, (m) => m.query2CommandRun),
  },
  switches: {
    i: { command: 'initializetables' },
    r: { command: 'initregen' },
    ar: { command: 'regendevice' },
    fr: { command: 'regendir' },
    fe: { command: 'regenfile' },
    fd: { command: 'deleteimagefromdb' },
    fz: { command: 'deleteimagefile' },
    fa: { command: 'addimagefile' },
    fp: { command: 'deletepatientdb' },
    ft: { command: 'deletestudydb' },
    fs: { command: 'deleteseriesdb' },
    fi: { command: 'deleteimagedb' },
    z: { command: 'deletepatient' },
  },
};
