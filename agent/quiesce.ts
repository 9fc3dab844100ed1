// The operator's quiesce hooks around a failover's final sync: `pre_freeze` before the last
// incremental reads the volume (fsfreeze -f, a database flush), `post_thaw` after it ends.
import { execFile } from 'node:child_process';
import type { LogFn } from './log.js';

const HOOK_TIMEOUT_MS = 120_000;

/** Run one hook with sh -c; rejects with a one-line reason when it fails or times out. */
export function runQuiesceHook(name: 'pre_freeze' | 'post_thaw', command: string, log: LogFn): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { timeout: HOOK_TIMEOUT_MS, env: { ...process.env, DRC_HOOK: name } }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`.trim().split('\n').pop()?.slice(0, 300) ?? '';
      if (err) return reject(new Error(`${name} hook failed: ${err.message.split('\n')[0]}${out ? ` (${out})` : ''}`));
      log('info', `${name} hook ran${out ? `: ${out}` : ''}`);
      resolve();
    });
  });
}
