/** A CommandContext for a command that runs in dgate's own process: configuration and archive opened on first use. */
import { type Archive, openArchive } from '../archive/archive.js';
import { type LoadedConfig, loadConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { CommandContext, CommandOutput } from './context.js';

export interface LocalContext extends CommandContext {
  /** Closes the archive if the command opened it (waits for its index writes). */
  close(): Promise<void>;
}

export function localContext(options: {
  dir: string;
  aeTitle: string | undefined;
  port: number | undefined;
  stdout: CommandOutput;
  log: Logger;
}): LocalContext {
  let config: LoadedConfig | undefined;
  let archive: Archive | undefined;
  const ctx: LocalContext = {
    ...options,
    config: () => {
      config ??= loadConfig(options.dir, { writeDefaults: false });
      return config;
    },
    // Not the owner: a server may be running beside this command, and its half-received files are its own.
    archive: async () => {
      archive ??= await openArchive(ctx.config(), { log: options.log, owner: false });
      return archive;
    },
    close: async () => {
      await archive?.close();
      archive = undefined;
    },
  };
  return ctx;
}
