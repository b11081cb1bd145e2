/**
 * The server's log: levels as Conquest's DebugLevel uses them (0 = normal messages only, higher = more
 * detail), written to stdout (-v), a file (-lFILE) or nowhere. Every layer receives a Logger; none opens
 * files or reads settings itself.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

export interface Logger {
  /** Always shown: failures the operator must see. */
  error(message: string): void;
  /** Always shown: what went wrong but was handled. */
  warn(message: string): void;
  /** Normal activity (associations, stores): shown at DebugLevel 0 and up. */
  info(message: string): void;
  /** Detail, shown when DebugLevel >= level (default 1). */
  debug(message: string, level?: number): void;
  /** A logger that prefixes every line (e.g. with the association number). */
  child(prefix: string): Logger;
}

export type LogSink = (line: string) => void;

export class LineLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    public debugLevel = 0,
    private readonly prefix = '',
  ) {}

  private line(level: string, message: string): void {
    const now = new Date();
    const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
    this.sink(`${stamp} ${level}${this.prefix}${message}`);
  }

  error(message: string): void {
    this.line('*** ', message);
  }

  warn(message: string): void {
    this.line('!!! ', message);
  }

  info(message: string): void {
    this.line('', message);
  }

  debug(message: string, level = 1): void {
    if (this.debugLevel >= level) this.line('', message);
  }

  child(prefix: string): Logger {
    const child = new LineLogger((l) => this.sink(l), 0, `${this.prefix}${prefix} `);
    Object.defineProperty(child, 'debugLevel', { get: () => this.debugLevel });
    return child;
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function stdoutSink(): LogSink {
  return (line) => process.stdout.write(`${line}\n`);
}

/** Appends to a file through a stream: logging never blocks the event loop. */
export function fileSink(path: string): LogSink {
  const out = createWriteStream(path, { flags: 'a' });
  return (line) => {
    out.write(`${line}\n`);
  };
}

export const silentLogger: Logger = new LineLogger(() => {});

/**
 * A sink that also writes to a file switched on and off while the server runs (--log_on:file,
 * --debuglog_on:file); the base sink (stdout or -l file) always gets every line.
 */
export class SwitchableSink {
  private extra: { path: string; out: WriteStream } | undefined;

  constructor(private readonly base: LogSink) {}

  readonly sink: LogSink = (line) => {
    this.base(line);
    this.extra?.out.write(`${line}\n`);
  };

  /** Also log to `path` (undefined: stop). */
  setFile(path: string | undefined): void {
    this.extra?.out.end();
    this.extra = path ? { path, out: createWriteStream(path, { flags: 'a' }) } : undefined;
  }

  get file(): string | undefined {
    return this.extra?.path;
  }
}
