/**
 * Driving DCMTK peers from tests: presence checks, and storescu configuration files that propose each
 * file in exactly its own transfer syntax (storescu's -x options cover only some syntaxes, and -R alone
 * proposes uncompressed ones), so that objects go over the network as they are.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeFile } from '../../src/net/client.js';

const execFileAsync = promisify(execFile);

/**
 * Runs a DCMTK tool with TCP_NODELAY=1 (as ../shared/bench does): DCMTK leaves Nagle's algorithm on
 * otherwise, and each small PDU then waits for a delayed ACK (~40 ms per message on loopback).
 */
export function run(
  cmd: string,
  args: readonly string[],
  options: { maxBuffer?: number; timeout?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(cmd, [...args], {
    maxBuffer: options.maxBuffer ?? 64 << 20,
    timeout: options.timeout ?? 120_000,
    env: { ...process.env, TCP_NODELAY: '1' },
    encoding: 'utf8',
  });
}

/** Like run, but resolves with the output and exit code instead of rejecting on a non-zero exit. */
export async function runStatus(
  cmd: string,
  args: readonly string[],
): Promise<{ code: number; output: string }> {
  try {
    const r = await run(cmd, args);
    return { code: 0, output: r.stderr + r.stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      output: (err.stderr ?? '') + (err.stdout ?? ''),
    };
  }
}

export function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const DCMTK_SKIP: string | false = hasTool('storescu')
  ? false
  : 'DCMTK not installed (apt-get install dcmtk)';

export interface FileToSend {
  path: string;
  sopClassUid: string;
  transferSyntaxUid: string;
}

/**
 * Writes storescu configuration files (`storescu -xf FILE Default`): one per group of at most 128
 * (SOP class, transfer syntax) contexts, each context proposing a single syntax. Returns the groups.
 */
export function storescuConfigs(
  dir: string,
  files: readonly FileToSend[],
): { config: string; files: string[] }[] {
  const pairs = new Map<string, FileToSend[]>();
  for (const f of files) {
    const key = `${f.sopClassUid}\\${f.transferSyntaxUid}`;
    const list = pairs.get(key) ?? [];
    list.push(f);
    pairs.set(key, list);
  }
  const keys = [...pairs.keys()];
  const groups: { config: string; files: string[] }[] = [];
  for (let g = 0; g * 128 < keys.length; g++) {
    const chunk = keys.slice(g * 128, (g + 1) * 128);
    const syntaxes = [...new Set(chunk.map((k) => k.split('\\')[1]!))];
    const tsName = (uid: string): string => `TS${syntaxes.indexOf(uid)}`;
    const lines = ['[[TransferSyntaxes]]'];
    for (const uid of syntaxes) lines.push(`[${tsName(uid)}]`, `TransferSyntax1 = ${uid}`);
    lines.push('[[PresentationContexts]]', '[Contexts]');
    chunk.forEach((k, i) => {
      const [sop, ts] = k.split('\\');
      lines.push(`PresentationContext${i + 1} = ${sop}\\${tsName(ts!)}`);
    });
    lines.push('[[Profiles]]', '[Default]', 'PresentationContexts = Contexts');
    const config = join(dir, `storescu-${g}.cfg`);
    writeFileSync(config, `${lines.join('\n')}\n`);
    groups.push({ config, files: chunk.flatMap((k) => pairs.get(k)!.map((f) => f.path)) });
  }
  return groups;
}

/**
 * Sends files to 127.0.0.1:port with storescu, each in its own transfer syntax (storescuConfigs writes the
 * configuration into `dir`); one storescu run per group. The first failing run's code, all the output.
 */
export async function storeAsIs(
  dir: string,
  port: number,
  paths: readonly string[],
  extraArgs: readonly string[] = [],
): Promise<{ code: number; output: string }> {
  const described = await Promise.all(paths.map((p) => describeFile(p)));
  const files = described.map((f) => ({
    path: f.path,
    sopClassUid: f.sopClassUid,
    transferSyntaxUid: f.transferSyntax.uid,
  }));
  let code = 0;
  let output = '';
  for (const g of storescuConfigs(dir, files)) {
    const r = await runStatus('storescu', [
      ...extraArgs,
      '-xf',
      g.config,
      'Default',
      '127.0.0.1',
      String(port),
      ...g.files,
    ]);
    if (code === 0) code = r.code;
    output += r.output;
  }
  return { code, output };
}
