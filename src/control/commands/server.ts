/**
 * Commands about the running server itself (manual Appendix 5, logging and maintenance options):
 *   --display_status:[file]   the server's counters
 *   --quit:  --safequit:      stop now / when no association is open
 *   --debuglevel:#            set DebugLevel
 *   --log_on:file  --debuglog_on:file   also log to a file (empty: stop)
 *   --genuid:                 a new UID (under UIDPrefix when set)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateUid } from '../../dicom/implementation.js';
import { UsageError } from '../arguments.js';
import type { CommandContext, ServerControl } from '../context.js';

function serverOf(ctx: CommandContext, name: string): ServerControl {
  if (!ctx.server)
    throw new UsageError(`--${name} runs in the server: start it first (dgate without a command)`);
  return ctx.server;
}

function seconds(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 86400)}d ${String(Math.floor(s / 3600) % 24).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export async function displayStatusCommand(args: string, ctx: CommandContext): Promise<void> {
  const server = serverOf(ctx, 'display_status');
  const c = server.counters;
  const config = ctx.config();
  const archive = await ctx.archive();
  const lines = [
    `DICOM server '${ctx.aeTitle ?? config.server.myACRNema}' (Conquest TS, port ${ctx.port ?? config.server.tcpPort}) started ${c.startedAt.toISOString()}, up ${seconds(Date.now() - c.startedAt.getTime())}`,
    `Associations: ${c.associations} served, ${server.activeAssociations()} open now`,
    `Images received: ${c.stored} (${(c.storedBytes / 1048576).toFixed(1)} MB), refused: ${c.storeFailures}`,
    `Activity: echo ${c.echoes}, find ${c.queries}, images sent ${c.retrieved}`,
  ];
  if (archive.indexer) {
    const s = archive.indexer.stats;
    lines.push(
      `Index: ${s.indexed} objects indexed in ${s.transactions} transactions, ${s.rejected} refused, cache hits ${s.cacheHits}`,
    );
  } else lines.push('Index: none (NULL driver)');
  archive.devices.forEach((d, i) => {
    lines.push(`MAG${i}: ${d}`);
  });
  const text = `${lines.join('\n')}\n`;
  if (args.trim()) writeFileSync(resolve(ctx.dir, args.trim()), text);
  else ctx.stdout.write(text);
}

export async function quitCommand(_args: string, ctx: CommandContext): Promise<void> {
  serverOf(ctx, 'quit').quit();
  ctx.stdout.write('server stopping\n');
}

export async function safeQuitCommand(_args: string, ctx: CommandContext): Promise<void> {
  const server = serverOf(ctx, 'safequit');
  server.safeQuit();
  ctx.stdout.write(
    server.activeAssociations() > 1
      ? 'server will stop when its associations have ended\n'
      : 'server stopping\n',
  );
}

export async function debugLevelCommand(args: string, ctx: CommandContext): Promise<void> {
  const level = Number(args.trim());
  if (!Number.isInteger(level) || level < 0) throw new UsageError('--debuglevel:# needs a number (0 and up)');
  serverOf(ctx, 'debuglevel').setDebugLevel(level);
  ctx.stdout.write(`debug level ${level}\n`);
}

function logFile(kind: 'normal' | 'debug', args: string, ctx: CommandContext): void {
  const name = kind === 'debug' ? 'debuglog_on' : 'log_on';
  const target = args.trim();
  if (/^\d+$/.test(target))
    throw new UsageError(`--${name}:${target}: logging to a UDP port is not supported; give a file name`);
  serverOf(ctx, name).setLogFile(kind, target ? resolve(ctx.dir, target) : undefined);
  ctx.stdout.write(target ? `logging to ${target}\n` : 'file logging off\n');
}

export async function logOnCommand(args: string, ctx: CommandContext): Promise<void> {
  logFile('normal', args, ctx);
}

export async function debugLogOnCommand(args: string, ctx: CommandContext): Promise<void> {
  logFile('debug', args, ctx);
}

export async function genUidCommand(_args: string, ctx: CommandContext): Promise<void> {
  let prefix: string | undefined;
  try {
    prefix = ctx.config().server.uidPrefix;
  } catch {
    prefix = undefined; // no dicom.ini here: a 2.25 UID
  }
  ctx.stdout.write(`${generateUid(prefix)}\n`);
}
