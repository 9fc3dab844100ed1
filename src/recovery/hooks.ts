// Operator-supplied hooks: shell commands (target import, command checks, the DNS/LB
// switch) and the switch webhook. Each has a timeout and honours an abort signal.
import { spawn } from 'node:child_process';

export interface HookResult {
  ok: boolean;
  /** exit code, HTTP status, or null when it did not run to the end */
  code: number | null;
  /** the last lines of its output, or why it failed */
  output: string;
  durationMs: number;
}

const TAIL = 2000;

function tail(s: string): string {
  const t = s.trim();
  return t.length > TAIL ? `…${t.slice(-TAIL)}` : t;
}

/** Run `command` with `sh -c`, the given variables added to the environment. */
export function runCommand(command: string, env: Record<string, string>, timeoutSeconds: number, signal?: AbortSignal): Promise<HookResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const p = spawn('sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let why: string | null = null;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 64 * 1024) out = out.slice(-TAIL * 2);
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    // the whole process group: a shell's children must not outlive the timeout
    const kill = (reason: string) => {
      why ??= reason;
      try {
        if (p.pid) process.kill(-p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutSeconds} s`), timeoutSeconds * 1000);
    const onAbort = () => kill('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    p.on('error', (e) => {
      why ??= e.message;
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const output = why ? `${why}${out.trim() ? `: ${tail(out)}` : ''}` : tail(out);
      resolve({ ok: why === null && code === 0, code: why ? null : code, output: why ? output : output || `exit ${code}`, durationMs: Date.now() - started });
    });
  });
}

/** POST `body` as JSON; any 2xx is success. */
export async function postWebhook(url: string, body: object, timeoutSeconds: number, signal?: AbortSignal): Promise<HookResult> {
  const started = Date.now();
  const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = tail(await res.text().catch(() => ''));
    return { ok: res.ok, code: res.status, output: `HTTP ${res.status}${text ? `: ${text}` : ''}`, durationMs: Date.now() - started };
  } catch (e) {
    const err = e as Error;
    const output = timeout.aborted ? `timed out after ${timeoutSeconds} s` : `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`;
    return { ok: false, code: null, output, durationMs: Date.now() - started };
  }
}
