/** Commands about the running server (counters, stopping, logging) and --genuid. */
import { type CommandTable, entry } from './types.js';

const server = () => import('../commands/server.js');

export const SERVER_COMMANDS: CommandTable = {
  commands: {
    display_status: entry('server', server, (m) => m.displayStatusCommand),
    quit: entry('server', server, (m) => m.quitCommand),
    safequit: entry('server', server, (m) => m.safeQuitCommand),
    debuglevel: entry('server', server, (m) => m.debugLevelCommand),
    log_on: entry('server', server, (m) => m.logOnCommand),
    debuglog_on: entry('server', server, (m) => m.debugLogOnCommand),
    genuid: entry('local', server, (m) => m.genUidCommand),
  },
};
