/**
 * DICOM client commands that query and retrieve (manual Appendix 5): the finders and listers, the move
 * family's moveaccession/movestudies (the other moves are in basic.ts), grabbing images from a node, and
 * cloning a node's index (--clonedb).
 */
import { type CommandTable, entry } from './types.js';

const find = () => import('../commands/find.js');
const move = () => import('../commands/move.js');
const grab = () => import('../commands/grab.js');
const clonedb = () => import('../commands/clonedb.js');

export const QUERY_COMMANDS: CommandTable = {
  commands: {
    patientfinder: entry('local', find, (m) => m.patientFinderCommand),
    studyfinder: entry('local', find, (m) => m.studyFinderCommand),
    seriesfinder: entry('local', find, (m) => m.seriesFinderCommand),
    imagefinder: entry('local', find, (m) => m.imageFinderCommand),
    serieslister: entry('local', find, (m) => m.seriesListerCommand),
    imagelister: entry('local', find, (m) => m.imageListerCommand),
    moveaccession: entry('local', move, (m) => m.moveAccessionCommand),
    movestudies: entry('local', move, (m) => m.moveStudiesCommand),
    grabimagesfromserver: entry('local', grab, (m) => m.grabCommand),
    // In the server when one answers: its index writer enters the records.
    clonedb: entry('either', clonedb, (m) => m.cloneDbCommand),
  },
  switches: {
    // -gSERVER,DATE: the switch's value is the command's argument as it is.
    g: { command: 'grabimagesfromserver' },
  },
};
