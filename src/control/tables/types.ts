/** The shape of a command table (see registry.ts). */
import type { CommandContext } from '../context.js';

export type CommandPlace = 'local' | 'server' | 'either';
export type CommandRun = (args: string, ctx: CommandContext) => Promise<void>;

export interface CommandEntry {
  readonly place: CommandPlace;
  /** Loads the implementation (dynamic import, so that unused commands cost nothing). */
  load(): Promise<CommandRun>;
}

/** A switch that runs a command: `-fpID` → `--deletepatient:ID`. */
export interface SwitchCommand {
  /** The command it runs. */
  readonly command: string;
  /**
   * The command's arguments from the switch's value (default: the value as is); `rest` holds the argv
   * items that are neither switches nor a command (`-nu IN OUT`).
   */
  args?(value: string, rest: readonly string[]): string;
}

export interface CommandTable {
  readonly commands: Readonly<Record<string, CommandEntry>>;
  /** Switch (without `-`, e.g. `r`, `fp`) → command. */
  readonly switches?: Readonly<Record<string, SwitchCommand>>;
}

/** A table entry: `entry('archive', () => import('../commands/x.js'), 'xCommand')`. */
export function entry<M>(
  place: CommandPlace,
  load: () => Promise<M>,
  pick: (m: M) => CommandRun,
): CommandEntry {
  return { place, load: async () => pick(await load()) };
}
