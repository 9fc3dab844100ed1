// `drc logs export` and the cockpit's logs command: ask the hub for the bundle's files and
// write them as one .tar.gz (atomically: a temp file renamed into place).
import fs from 'node:fs';
import type { ApiClient } from './api-client.js';
import { tarGz } from './tar.js';

export interface LogExport {
  path: string;
  files: string[];
  errors: string[];
}

export async function exportLogs(client: Pick<ApiClient, 'call'>, out: string, now = new Date()): Promise<LogExport> {
  const r = await client.call('logs.export', {});
  const base = `drc-logs-${now.toISOString().replace(/[:.]/g, '-')}`;
  const files = r.files.map((f) => ({ name: `${base}/${f.name}`, data: Buffer.from(f.data, 'base64') }));
  const tmp = `${out}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, tarGz(files, now.getTime()));
  fs.renameSync(tmp, out);
  return { path: out, files: r.files.map((f) => f.name), errors: r.errors };
}
