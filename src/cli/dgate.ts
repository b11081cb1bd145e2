#!/usr/bin/env node
/**
 * `dgate`: Conquest's program (manual Appendix 5). Without a command it runs the server in the working
 * directory; with `--command:args` it runs that command. This file only parses and dispatches.
 */
import { resolve } from 'node:path';
import { fileSink, LineLogger, type Logger, stdoutSink } from '../logging/logger.js';
import { type DgateArguments, parseArguments, UsageError } from './arguments.js';
import type { CommandContext } from './context.js';
import { usage } from './usage.js';

type Command = (args: string, ctx: CommandContext) => Promise<void>;

/**
 * Commands load their modules on first use: a one-file command must not pay for loading the server
 * (process start-up is most of a header dump's time).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  dump_header: async () => (await import('./commands/dump.js')).dumpHeaderCommand,
  dump_json: async () => (await import('./commands/dump.js')).dumpJsonCommand,
  echo: async () => (await import('./commands/network.js')).echoCommand,
  forward: async () => (await import('./commands/network.js')).forwardCommand,
  movepatient: async () => (await import('./commands/move.js')).moveCommand.bind(null, 'movepatient'),
  movestudy: async () => (await import('./commands/move.js')).moveCommand.bind(null, 'movestudy'),
  moveseries: async () => (await import('./commands/move.js')).moveCommand.bind(null, 'moveseries'),
  move: async () => (await import('./commands/move.js')).moveCommand.bind(null, 'move'),
};

/** Errors whose message is the whole story for the user (no stack), matched by name so that their modules need not load. */
const PLAIN_ERRORS = new Set([
  'FileNameSyntaxError',
  'ConfigError',
  'AssociationError',
  'AssociationRejectedError',
  'AssociationAbortedError',
  'DimseError',
]);

/** Switches this version understands; the value is what it takes. */
const SWITCHES: Readonly<Record<string, string>> = {
  '?': 'usage',
  w: 'working directory',
  p: 'port',
  h: 'AE title',
  v: 'log to stdout',
  l: 'log to a file',
  b: 'one association at a time, debug log',
};

interface Settings {
  dir: string;
  port: number | undefined;
  aeTitle: string | undefined;
  logFile: string | undefined;
  verbose: boolean;
  single: boolean;
}

function settingsOf(parsed: DgateArguments): Settings {
  const s: Settings = {
    dir: process.cwd(),
    port: undefined,
    aeTitle: undefined,
    logFile: undefined,
    verbose: false,
    single: false,
  };
  for (const { flag, value } of parsed.switches) {
    if (!(flag in SWITCHES))
      throw new UsageError(`switch -${flag} is not available in this version (dgate -? lists what is)`);
    if (flag === 'w') s.dir = resolve(value || '.');
    if (flag === 'p') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`-p needs a port number, not '${value}'`);
      s.port = port;
    }
    if (flag === 'h') {
      if (!value || value.length > 16) throw new UsageError('-h needs an AE title of 1 to 16 characters');
      s.aeTitle = value;
    }
    if (flag === 'v') s.verbose = true;
    if (flag === 'l') s.logFile = value || 'dgate.log';
    if (flag === 'b') s.single = true;
  }
  return s;
}

function loggerFor(s: Settings, debugLevel = 0): LineLogger {
  if (s.logFile) return new LineLogger(fileSink(resolve(s.dir, s.logFile)), debugLevel);
  return new LineLogger(s.verbose || !s.logFile ? stdoutSink() : () => {}, debugLevel);
}

export async function main(
  argv: readonly string[],
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const parsed = parseArguments(argv);
  if (parsed.switches.some((s) => s.flag === '?')) {
    stdout.write(usage());
    return 0;
  }
  const settings = settingsOf(parsed);
  if (parsed.command) {
    const load = COMMANDS[parsed.command.name];
    if (!load)
      throw new UsageError(
        `unknown or not yet available command --${parsed.command.name} (dgate -? lists the commands)`,
      );
    const run = await load();
    const log = new LineLogger((l) => process.stderr.write(`${l}\n`), 0);
    await run(parsed.command.args, {
      dir: settings.dir,
      aeTitle: settings.aeTitle,
      port: settings.port,
      stdout,
      log,
    });
    return 0;
  }
  await runServer(settings);
  return 0;
}

async function runServer(s: Settings): Promise<void> {
  const log = loggerFor(s, s.single ? 4 : 0);
  const { startServer } = await import('../server.js');
  const server = await startServer({
    dir: s.dir,
    port: s.port,
    aeTitle: s.aeTitle,
    singleAssociation: s.single,
    log,
  });
  log.debugLevel = s.single ? Math.max(4, server.config.server.debugLevel) : server.config.server.debugLevel;
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log.warn(`${signal} again: stopping now`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: finishing in-flight operations, then stopping`);
      server.close(10_000).then(done, done);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  log.info('server stopped');
}

function report(e: unknown, log: Logger): number {
  if (e instanceof UsageError) {
    log.error(e.message);
    return 2;
  }
  const name = (e as Error | undefined)?.name ?? '';
  if (name === 'DicomParseError') {
    log.error(`not a readable DICOM file: ${(e as Error).message}`);
    return 1;
  }
  if (PLAIN_ERRORS.has(name)) {
    log.error((e as Error).message);
    return 1;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EADDRINUSE') {
    log.error(
      `cannot listen: port ${(err as { port?: number }).port ?? ''} is already in use (set TCPPort in dicom.ini or use -p)`,
    );
    return 1;
  }
  if (err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR') {
    log.error(err.message);
    return 1;
  }
  log.error(err?.stack ?? String(e));
  return 1;
}

const stderrLog = new LineLogger((l) =>
  process.stderr.write(`dgate: ${l.replace(/^\d{8} \d\d:\d\d:\d\d (\*\*\* )?/, '')}\n`),
);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e, stderrLog);
  },
);
