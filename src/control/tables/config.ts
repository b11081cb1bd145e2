/** Commands of this area (see registry.ts). */
import type { CommandTable } from './types.js';

export const CONFIG_COMMANDS: CommandTable = { commands: {} };
