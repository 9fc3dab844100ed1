// Follow one job until it ends, showing progress and why it waits on stderr; give up
// after a timeout, or when the hub goes away, with one line saying so.
import { HubError, type ApiClient } from '../../client/api-client.js';
import type { JobView } from '../../protocol/operator.js';
import { OperationError } from '../errors.js';
import { progressLine } from '../output.js';

export async function waitForJob(client: ApiClient, job: JobView, label: string, quiet: boolean, timeoutSeconds?: number): Promise<JobView> {
  const done = (j: JobView) => j.state === 'succeeded' || j.state === 'failed' || j.state === 'cancelled';
  const bar = progressLine(label);
  let lastReason: string | null = null;
  let latest = job;
  const seen = (j: JobView) => {
    latest = j;
    if (!quiet && j.state === 'queued' && j.waitReason && j.waitReason !== lastReason) {
      lastReason = j.waitReason;
      process.stderr.write(`${label}: job ${j.id} ${j.waitReason}\n`);
    }
    if (!quiet && j.state === 'running') bar.update(j.progress.doneBytes, j.progress.totalBytes, j.progress.rate, j.progress.phase);
  };
  let timer: NodeJS.Timeout | undefined;
  const result = new Promise<JobView>((resolve, reject) => {
    client.onConnection((s) => s === 'lost' && reject(new HubError('closed', `lost the hub connection while waiting for job ${job.id} (${latest.state})`)));
    client.onUpdate((u) => {
      if (u.type !== 'job' || u.job.id !== job.id) return;
      seen(u.job);
      if (done(u.job)) resolve(u.job);
    });
    if (timeoutSeconds !== undefined) {
      timer = setTimeout(() => {
        const why = latest.state === 'queued' && latest.waitReason ? `; ${latest.waitReason}` : '';
        reject(new OperationError(`${label}: job ${job.id} still ${latest.state} after ${timeoutSeconds} s${why} (it stays queued; drc tasks cancel ${job.id} to drop it)`));
      }, timeoutSeconds * 1000);
    }
  });
  try {
    await client.call('subscribe', { snapshot: false });
    const now = await client.call('job.get', { id: job.id });
    seen(now);
    return done(now) ? now : await result;
  } finally {
    if (timer) clearTimeout(timer);
    bar.end();
  }
}
