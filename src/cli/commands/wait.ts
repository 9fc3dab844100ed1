// Follow one job until it ends, showing progress on stderr.
import type { ApiClient } from '../../client/api-client.js';
import type { JobView } from '../../protocol/operator.js';
import { progressLine } from '../output.js';

export async function waitForJob(client: ApiClient, job: JobView, label: string, quiet: boolean): Promise<JobView> {
  const done = (j: JobView) => j.state === 'succeeded' || j.state === 'failed' || j.state === 'cancelled';
  const bar = progressLine(label);
  let lastReason: string | null = null;
  const result = new Promise<JobView>((resolve, reject) => {
    client.onConnection((s) => s === 'lost' && reject(new Error('lost the hub connection while waiting for the job')));
    client.onUpdate((u) => {
      if (u.type !== 'job' || u.job.id !== job.id) return;
      const j = u.job;
      if (!quiet && j.state === 'queued' && j.waitReason && j.waitReason !== lastReason) {
        lastReason = j.waitReason;
        process.stderr.write(`${label}: ${j.waitReason}\n`);
      }
      if (!quiet && j.state === 'running') bar.update(j.progress.doneBytes, j.progress.totalBytes, j.progress.rate, j.progress.phase);
      if (done(j)) resolve(j);
    });
  });
  await client.call('subscribe', { snapshot: false });
  const now = await client.call('job.get', { id: job.id });
  const final = done(now) ? now : await result;
  bar.end();
  return final;
}
