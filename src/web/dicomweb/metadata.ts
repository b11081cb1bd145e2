/**
 * WADO-RS metadata (PS3.18 10.4.1.1.2, application/dicom+json): every attribute of an instance except the
 * bulk data, which becomes a BulkDataURI relative to the series URL (`instances/{sop}/bulkdata/{path}`, the
 * form OHIF resolves against the series), Pixel Data included.
 *
 * Precomputed: the JSON text of an instance is made once, from the file's header (read up to Pixel Data,
 * values over BULK_THRESHOLD left in the file), and kept in memory in an LRU bounded in bytes. The cache key
 * is the file's path, size, modification time and inode, checked with one stat per request: an instance
 * stored again (a new file, or the same name renamed over) or moved misses and is read again, and a deleted
 * instance is no longer named by the index, so nothing stale is ever served. A 500-instance series is then
 * one index query, 500 stats and a string join. And it is made ahead: after each store the server reports,
 * the instance's JSON is made in the background (`warm`), so a series is warm before the first viewer asks.
 *
 * Attributes after Pixel Data (trailing padding, signatures) are not in the metadata: the header read stops
 * at Pixel Data, which is what makes a cold read cheap.
 */
import { stat } from 'node:fs/promises';
import type { RetrieveItem } from '../../archive/retrieve.js';
import { type BulkPath, datasetToJson, dicomJsonToString } from '../../dicom/json.js';
import { readDicomFile } from '../../dicom/reader.js';
import { tagToJsonKey } from '../../dicom/tag.js';

/** Binary values longer than this are bulk data (a BulkDataURI); shorter ones are inline. */
export const BULK_THRESHOLD = 1024;
const PIXEL_DATA = 0x7fe00010;
/** Stats / reads in flight per request (cold reads of a large series would otherwise open every file). */
const WINDOW = 32;
/** Stored instances waiting for their metadata to be made in the background. */
const WARM_QUEUE = 10_000;
/** How long stores must pause before the background work starts (ms). */
const WARM_IDLE_MS = 200;

/** The path segment naming a bulk value: `7FE00010`, or `00540016/0/00181072` inside a sequence item. */
export function bulkPathText(path: Pick<BulkPath, 'steps' | 'tag'>): string {
  const parts: string[] = [];
  for (const s of path.steps) parts.push(tagToJsonKey(s.sequence), String(s.item));
  parts.push(tagToJsonKey(path.tag));
  return parts.join('/');
}

interface Entry {
  key: string;
  json: string;
}

export class MetadataCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  hits = 0;
  misses = 0;
  /** Instances made in the background after their store. */
  warmed = 0;
  private readonly warmQueue: RetrieveItem[] = [];
  private warming = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly maxBytes = 256 << 20) {}

  /** The JSON text of one instance (an object, not an array). */
  async instance(item: RetrieveItem): Promise<string> {
    const st = await stat(item.path);
    const key = `${item.path}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
    const hit = this.entries.get(item.sopInstanceUid);
    if (hit && hit.key === key) {
      // LRU: the most recently used go last.
      this.entries.delete(item.sopInstanceUid);
      this.entries.set(item.sopInstanceUid, hit);
      this.hits++;
      return hit.json;
    }
    this.misses++;
    const json = await instanceMetadata(item);
    this.put(item.sopInstanceUid, { key, json });
    return json;
  }

  /** The JSON array text of several instances (series or study metadata), in the order given. */
  async many(items: readonly RetrieveItem[]): Promise<string> {
    const out: string[] = new Array(items.length);
    for (let i = 0; i < items.length; i += WINDOW) {
      const window = items.slice(i, i + WINDOW);
      const texts = await Promise.all(window.map((it) => this.instance(it)));
      texts.forEach((t, k) => {
        out[i + k] = t;
      });
    }
    return `[${out.join(',')}]`;
  }

  /**
   * Makes an instance's metadata in the background after it was stored, so that the first viewer to open
   * its series finds it ready. The work waits until stores have paused for WARM_IDLE_MS (a store burst is
   * not slowed down), then goes one instance at a time between the event loop's other work; at most
   * WARM_QUEUE wait — beyond that the metadata is made on first request instead.
   */
  warm(item: RetrieveItem): void {
    if (this.warmQueue.length >= WARM_QUEUE) return;
    this.warmQueue.push(item);
    if (this.warming) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.warming = true;
      void this.drainWarm();
    }, WARM_IDLE_MS);
    this.idleTimer.unref();
  }

  private async drainWarm(): Promise<void> {
    try {
      for (let item = this.warmQueue.shift(); item; item = this.warmQueue.shift()) {
        try {
          await this.instance(item);
          this.warmed++;
        } catch {
          // Gone again, or unreadable: the request path reports it if anyone asks.
        }
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.warming = false;
    }
    // Stored while the last one was being made: start again (after the next pause).
    const next = this.warmQueue.shift();
    if (next) this.warm(next);
  }

  /** Forgets an instance (the cache checks files anyway; this frees the memory at once). */
  forget(sopInstanceUid: string): void {
    const e = this.entries.get(sopInstanceUid);
    if (!e) return;
    this.bytes -= e.json.length + e.key.length;
    this.entries.delete(sopInstanceUid);
  }

  get size(): number {
    return this.entries.size;
  }

  private put(uid: string, entry: Entry): void {
    this.forget(uid);
    const cost = entry.json.length + entry.key.length;
    if (cost > this.maxBytes) return;
    this.entries.set(uid, entry);
    this.bytes += cost;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.json.length + e.key.length;
    }
  }
}

/** Reads an instance's header and makes its metadata JSON text. */
export async function instanceMetadata(item: RetrieveItem): Promise<string> {
  const file = await readDicomFile(item.path, {
    stopBeforeTag: PIXEL_DATA,
    bulkDataThreshold: BULK_THRESHOLD,
  });
  const ds = file.dataset;
  const prefix = `instances/${item.sopInstanceUid}/bulkdata/`;
  const json = datasetToJson(ds, {
    bulkDataThreshold: BULK_THRESHOLD,
    bulkDataUri: (p) => prefix + bulkPathText(p),
  });
  if (file.stoppedAt === PIXEL_DATA) {
    const ts = file.transferSyntax;
    const bits = ds.number('BitsAllocated') ?? 16;
    json[tagToJsonKey(PIXEL_DATA)] = {
      vr: ts.encapsulated || bits <= 8 ? 'OB' : 'OW',
      BulkDataURI: `${prefix}${tagToJsonKey(PIXEL_DATA)}`,
    };
  }
  // Available Transfer Syntax UID (0008,3002): what the frames are stored in (viewers choose their Accept).
  json['00083002'] = { vr: 'UI', Value: [file.transferSyntax.uid] };
  return dicomJsonToString(json);
}
