/** File tools and DICOM client commands (manual Appendix 5: dump_header, echo, forward, the move family). */
import { type CommandTable, entry } from './types.js';

const dump = () => import('../commands/dump.js');
const network = () => import('../commands/network.js');
const move = () => import('../commands/move.js');

export const BASIC_COMMANDS: CommandTable = {
  commands: {
    dump_header: entry('local', dump, (m) => m.dumpHeaderCommand),
    dump_json: entry('local', dump, (m) => m.dumpJsonCommand),
    echo: entry('local', network, (m) => m.echoCommand),
    forward: entry('local', network, (m) => m.forwardCommand),
    movepatient: entry('local', move, (m) => m.moveCommand.bind(null, 'movepatient')),
    movestudy: entry('local', move, (m) => m.moveCommand.bind(null, 'movestudy')),
    moveseries: entry('local', move, (m) => m.moveCommand.bind(null, 'moveseries')),
    move: entry('local', move, (m) => m.moveCommand.bind(null, 'move')),
  },
};
