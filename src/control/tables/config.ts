/**
 * Configuration commands (manual Appendix 5, "Configuration options", and --get_freestore, --checksum) and
 * the listing/test switches -d -m -k -t -o. Everything that reads or changes configuration is `either`: in
 * a running server it sees and changes the server's own copy, without one it works on the files.
 */
import type { SopListKind } from '../../config/dgatesop-list.js';
import { UsageError } from '../arguments.js';
import { type CommandEntry, type CommandTable, entry } from './types.js';

const config = () => import('../commands/config.js');
const lists = () => import('../commands/config-lists.js');
const switches = () => import('../commands/config-switches.js');
const dbTest = () => import('../commands/config-database-test.js');
const dbCreate = () => import('../commands/config-database-create.js');

const SOP_KINDS: readonly SopListKind[] = ['sop', 'transfer', 'application', 'localae', 'remoteae'];

function sopListCommands(): Record<string, CommandEntry> {
  const out: Record<string, CommandEntry> = {};
  for (const kind of SOP_KINDS) {
    out[`get_${kind}`] = entry('either', lists, (m) => m.getSopListCommand.bind(null, kind));
    out[`put_${kind}`] = entry('either', lists, (m) => m.putSopListCommand.bind(null, kind));
    out[`delete_${kind}`] = entry('either', lists, (m) => m.deleteSopListCommand.bind(null, kind));
  }
  return out;
}

export const CONFIG_COMMANDS: CommandTable = {
  commands: {
    get_param: entry('either', config, (m) => m.getParamCommand),
    get_ini_param: entry('either', config, (m) => m.getIniParamCommand),
    get_ini_num: entry('either', config, (m) => m.getIniNumCommand),
    get_ini: entry('either', config, (m) => m.getIniCommand),
    put_param: entry('either', config, (m) => m.putParamCommand),
    delete_param: entry('either', config, (m) => m.deleteParamCommand),
    read_ini: entry('either', config, (m) => m.readIniCommand),
    get_amap: entry('either', config, (m) => m.getAmapCommand),
    get_amaps: entry('either', config, (m) => m.getAmapsCommand),
    put_amap: entry('either', config, (m) => m.putAmapCommand),
    delete_amap: entry('either', config, (m) => m.deleteAmapCommand),
    write_amap: entry('either', config, (m) => m.writeAmapCommand),
    read_amap: entry('either', config, (m) => m.readAmapCommand),
    ...sopListCommands(),
    get_sqldef: entry('either', lists, (m) => m.getSqldefCommand),
    get_dic: entry('either', lists, (m) => m.getDicCommand),
    get_freestore: entry('either', lists, (m) => m.getFreestoreCommand),
    checksum: entry('either', lists, (m) => m.checksumCommand),
    list_devices: entry('either', switches, (m) => m.listDevicesCommand),
    list_amap: entry('either', switches, (m) => m.listAmapCommand),
    list_dicomsql: entry('either', switches, (m) => m.listDicomSqlCommand),
    test_console: entry('local', switches, (m) => m.testConsoleCommand),
    test_database: entry('local', dbTest, (m) => m.testDatabaseCommand),
    // Conquest TS: what -esap d u p runs (the installer's "make database").
    make_database: entry('local', dbCreate, (m) => m.makeDatabaseCommand),
  },
  switches: {
    d: { command: 'list_devices', args: () => '' },
    m: { command: 'list_amap', args: () => '' },
    k: { command: 'list_dicomsql', args: () => '' },
    t: { command: 'test_console', args: () => '' },
    o: { command: 'test_database', args: () => '' },
    e: {
      command: 'make_database',
      // -esap d u p: the administrator's password joined to the switch, then three arguments.
      args: (value, rest) => {
        if (rest.length !== 3)
          throw new UsageError('-esap d u p: give the database, the user and its password');
        return [value, ...rest].join(',');
      },
    },
  },
};
