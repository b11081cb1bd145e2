/**
 * A CodecPool worker for tests (not a test file itself): it serves jobs like the real one, except frame jobs
 * whose transfer syntax is one of these markers, which kill the worker the way a codec bug would.
 *   test:throw  an uncaught exception in the worker thread
 *   test:exit   process.exit(7) inside the worker
 *   test:hang   never answers (for close() while a job runs)
 */
import { parentPort } from 'node:worker_threads';
import { type PoolJob, type PoolResult, runJob, serveJobs } from '../../src/codecs/pool-worker.js';

function handle(job: PoolJob): Promise<PoolResult> {
  const ts = job.kind === 'transcode' ? job.toTs : job.ts;
  if (ts === 'test:throw') {
    setImmediate(() => {
      throw new Error('forced crash in the codec worker');
    });
    return new Promise(() => {});
  }
  if (ts === 'test:exit') process.exit(7);
  if (ts === 'test:hang') return new Promise(() => {});
  return runJob(job);
}

if (parentPort) serveJobs(parentPort, handle);
