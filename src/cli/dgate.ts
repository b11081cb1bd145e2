#!/usr/bin/env node
/**
 * `dgate`: Conquest's program (manual Appendix 5). Without a command it runs the server in the working
 * directory; with `--command:args` it runs that command. This file only parses and dispatches.
 */
import { resolve } from 'node:path';
import { commandEntry, switchCommand } from '../control/registry.js';
import { fileSink, LineLogger, type Logger, SwitchableSink, stdoutSink } from '../logging/logger.js';
import { type DgateArguments, parseArguments, UsageError } from './arguments.js';
import { usage } from './usage.js';

/** Errors whose message is the whole story for the user (no stack), matched by name so that their modules need not load. */
const PLAIN_ERRORS = new Set([
  'FileNameSyntaxError',
  'ConfigError',
  'AssociationError',
  'AssociationRejectedError',
  'AssociationAbortedError',
  'DimseError',
  'NoServerError',
  'SchemaChangedError',
  'IndexError',
  'UidClashError',
  'QueryError',
  'MaintenanceError',
  'CodecError',
  'ImagingError',
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
  q: 'address of the server to send a command to',
};

interface Settings {
  dir: string;
  port: number | undefined;
  aeTitle: string | undefined;
  logFile: string | undefined;
  verbose: boolean;
  single: boolean;
  /** -q: send the command to the server at this address. */
  target: string | undefined;
  /** A switch that runs a command (-r, -fpID...). */
  command: { name: string; args: string } | undefined;
}

function settingsOf(parsed: DgateArguments): Settings {
  const s: Settings = {
    dir: process.cwd(),
    port: undefined,
    aeTitle: undefined,
    logFile: undefined,
    verbose: false,
    single: false,
    target: undefined,
    command: undefined,
  };
  for (const { flag, value } of parsed.switches) {
    if (!(flag in SWITCHES)) {
      const found = switchCommand(flag + value);
      if (!found)
        throw new UsageError(`switch -${flag} is not available in this version (dgate -? lists what is)`);
      if (s.command) throw new UsageError(`only one command may be given (-${flag}${value} and another)`);
      s.command = {
        name: found.command.command,
        args: found.command.args ? found.command.args(found.value, parsed.rest) : found.value,
      };
      continue;
    }
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
    if (flag === 'q') {
      if (!value) throw new UsageError('-q needs the address of the server, e.g. -q127.0.0.1');
      s.target = value;
    }
  }
  return s;
}

/** The server's log: stdout (-v, or when no -l file), or the -l file; --log_on/--debuglog_on add a file. */
function loggerFor(s: Settings, debugLevel = 0): { log: LineLogger; sink: SwitchableSink } {
  const base = s.logFile ? fileSink(resolve(s.dir, s.logFile)) : stdoutSink();
  const sink = new SwitchableSink(base);
  return { log: new LineLogger(sink.sink, debugLevel), sink };
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
  if (parsed.command && settings.command)
    throw new UsageError(`only one command may be given (--${parsed.command.name} and a command switch)`);
  const command = parsed.command ?? settings.command;
  if (command) return runCommand(command, settings, stdout);
  await runServer(settings);
  return 0;
}

/**
 * Runs a command where it belongs (registry.ts): sent to the server (always with -q; `server` commands;
 * `archive` commands when a server answers), or in this process.
 */
async function runCommand(
  command: { name: string; args: string },
  s: Settings,
  stdout: NodeJS.WritableStream,
): Promise<number> {
  const entry = commandEntry(command.name);
  if (!entry)
    throw new UsageError(
      `unknown or not yet available command --${command.name} (dgate -? lists the commands)`,
    );
  const log = new LineLogger((l) => process.stderr.write(`${l}\n`), 0);
  if (s.target !== undefined || entry.place !== 'local') {
    const { loadConfig } = await import('../config/config.js');
    const { NoServerError, sendServerCommand } = await import('../control/remote.js');
    const config = loadConfig(s.dir, { writeDefaults: false });
    const host = s.target ?? '127.0.0.1';
    const port = s.port ?? config.server.tcpPort;
    try {
      const result = await sendServerCommand({
        host,
        port,
        aeTitle: s.aeTitle ?? config.server.myACRNema,
        text: `${command.name}:${command.args}`,
        log,
      });
      if (!result.understood)
        throw new UsageError(
          `the DICOM node at ${host}:${port} did not run --${command.name}: it is not a Conquest server`,
        );
      stdout.write(result.output);
      if (result.status !== 0) {
        if (result.errorComment && !result.output.length) log.error(result.errorComment);
        return 1;
      }
      return 0;
    } catch (e) {
      if (!(e instanceof NoServerError) || s.target !== undefined || entry.place !== 'either') {
        if (e instanceof NoServerError)
          throw new NoServerError(
            `${e.message}: --${command.name} runs in the server (start it first, or give -p/-q)`,
          );
        throw e;
      }
    }
  }
  const { localContext } = await import('../control/local-context.js');
  const ctx = localContext({ dir: s.dir, aeTitle: s.aeTitle, port: s.port, stdout, log });
  try {
    const run = await entry.load();
    await run(command.args, ctx);
  } finally {
    await ctx.close();
  }
  return 0;
}

async function runServer(s: Settings): Promise<void> {
  const { log, sink } = loggerFor(s, s.single ? 4 : 0);
  const { startServer } = await import('../server.js');
  const server = await startServer({
    dir: s.dir,
    port: s.port,
    aeTitle: s.aeTitle,
    singleAssociation: s.single,
    log,
    logging: {
      setDebugLevel: (level) => {
        log.debugLevel = level;
      },
      setLogFile: (kind, file) => {
        sink.setFile(file);
        // Conquest's debug log is the normal log with detail: switching it on raises the level.
        if (kind === 'debug' && file && log.debugLevel < 1) log.debugLevel = 1;
      },
    },
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
    server.quitRequested.then(() => {
      log.info('stopped by a server command');
      done();
    });
  });
  // The codec workers of this process (idle ones would not keep it alive, busy ones would).
  await (await import('../codecs/pool.js')).closeSharedCodecPool();
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
