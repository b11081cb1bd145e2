/** Commands of this area (see registry.ts). */
import type { CommandTable } from './types.js';

export const QUERY_COMMANDS: CommandTable = { commands: {} };
