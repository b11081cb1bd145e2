/**
 * Every dgate `--command` and command switch, and where it runs:
 * - `local`: in dgate's own process (file tools, DICOM client commands);
 * - `server`: only in the running server (its counters, its in-memory configuration, stopping it); dgate
 *   sends it over the server-command channel;
 * - `either`: in the running server when one answers (for the archive: its index writer and cache must
 *   see the change; for the configuration: its in-memory copy), else in dgate's process directly.
 * With `-qIP` every command is sent to the server at that address, as Conquest does.
 *
 * Commands load their modules on first use: a one-file command must not pay for loading the server
 * (process start-up is most of a header dump's time). The tables are per area (tables/*.ts).
 */
import { ARCHIVAL_COMMANDS } from './tables/archival.js';
import { ARCHIVE_COMMANDS } from './tables/archive.js';
import { BASIC_COMMANDS } from './tables/basic.js';
import { CODEC_COMMANDS } from './tables/codec.js';
import { CODEC_SWITCHES } from './tables/codec-switches.js';
import { CONFIG_COMMANDS } from './tables/config.js';
import { IMAGING_COMMANDS } from './tables/imaging.js';
import { QUERY_COMMANDS } from './tables/query.js';
import { SERVER_COMMANDS } from './tables/server.js';
import type { CommandEntry, CommandTable, SwitchCommand } from './tables/types.js';

export type { CommandEntry, CommandPlace, CommandRun, CommandTable, SwitchCommand } from './tables/types.js';

const TABLES: readonly CommandTable[] = [
  BASIC_COMMANDS,
  ARCHIVE_COMMANDS,
  ARCHIVAL_COMMANDS,
  QUERY_COMMANDS,
  CONFIG_COMMANDS,
  SERVER_COMMANDS,
  CODEC_COMMANDS,
  CODEC_SWITCHES,
  IMAGING_COMMANDS,
];

const commands = new Map<string, CommandEntry>();
const switches = new Map<string, SwitchCommand>();
for (const t of TABLES) {
  for (const [name, entry] of Object.entries(t.commands)) {
    if (commands.has(name)) throw new Error(`dgate command --${name} is defined twice`);
    commands.set(name, entry);
  }
  for (const [flag, s] of Object.entries(t.switches ?? {})) {
    if (switches.has(flag)) throw new Error(`dgate switch -${flag} is defined twice`);
    switches.set(flag, s);
  }
}

/** The command called `name` (without `--`), or undefined. */
export function commandEntry(name: string): CommandEntry | undefined {
  return commands.get(name.toLowerCase());
}

export function commandNames(): string[] {
  return [...commands.keys()].sort();
}

/**
 * The command a switch stands for: `-r` is `--regen:` after `--initializetables:`... Switches are matched
 * longest first (`-fp` before `-f`).
 */
export function switchCommand(
  flagAndValue: string,
): { flag: string; value: string; command: SwitchCommand } | undefined {
  for (let n = Math.min(3, flagAndValue.length); n >= 1; n--) {
    const flag = flagAndValue.slice(0, n);
    const command = switches.get(flag);
    if (command) return { flag, value: flagAndValue.slice(n), command };
  }
  return undefined;
}
