/**
 * Long actions started from a page (sends, moves from another AE): run in the background and polled by the
 * page (/jobs/{id}, JSON). Kept in memory; finished jobs are forgotten after an hour.
 */
import { randomBytes } from 'node:crypto';

export interface JobState {
  readonly id: string;
  readonly title: string;
  /** Who started it: only they (or an admin) may read it. */
  readonly owner: string;
  total: number;
  done: number;
  failed: number;
  state: 'running' | 'done' | 'failed';
  message: string;
  finishedAt?: number;
}

export class JobList {
  private readonly jobs = new Map<string, JobState>();

  start(title: string, owner: string, run: (job: JobState) => Promise<string>): JobState {
    this.sweep();
    const job: JobState = {
      id: randomBytes(12).toString('hex'),
      title,
      owner,
      total: 0,
      done: 0,
      failed: 0,
      state: 'running',
      message: 'starting',
    };
    this.jobs.set(job.id, job);
    void run(job).then(
      (message) => {
        job.state = job.failed > 0 && job.done === 0 && job.total > 0 ? 'failed' : 'done';
        job.message = message;
        job.finishedAt = Date.now();
      },
      (e: Error) => {
        job.state = 'failed';
        job.message = e.message;
        job.finishedAt = Date.now();
      },
    );
    return job;
  }

  get(id: string): JobState | undefined {
    return this.jobs.get(id);
  }

  private sweep(): void {
    const old = Date.now() - 3600_000;
    for (const [id, j] of this.jobs)
      if (j.finishedAt !== undefined && j.finishedAt < old) this.jobs.delete(id);
  }
}
