// The part of a drill or takeover report about recovered instances: how each host booted
// (accelerator, boot time, network and forwarded ports), its console up to the boot check's
// match, and its screenshot (embedded in the HTML report).
import fs from 'node:fs';
import type { CheckResultView, RecoveryReport } from '../protocol/recovery.js';

export interface InstanceEvidence {
  host: string;
  console: string[];
  /** base64 PNG */
  png: string | null;
}

/** Read the screenshots the checks saved; a removed drill directory just leaves them out. */
export function instanceEvidence(checks: CheckResultView[]): InstanceEvidence[] {
  const hosts = [...new Set(checks.filter((c) => c.type === 'boot' || c.type === 'screenshot').map((c) => c.host))];
  return hosts.map((host) => {
    const boot = checks.find((c) => c.host === host && c.type === 'boot');
    const shot = checks.find((c) => c.host === host && c.type === 'screenshot' && c.screenshot);
    let png: string | null = null;
    try {
      if (shot?.screenshot) png = fs.readFileSync(shot.screenshot).toString('base64');
    } catch {
      png = null;
    }
    return { host, console: boot?.console ?? [], png };
  });
}

export function bootRow(r: RecoveryReport): [string, string, string, string][] {
  if (r.bootSeconds === null) return [];
  return [[`Boot (power-on → boot check passed${r.instant ? ', instant recovery' : ''})`, `${r.bootSeconds.toFixed(1)} s`, '-', 'n/a']];
}

export function instancesMarkdown(r: RecoveryReport): string[] {
  if (!r.instances.length) return [];
  const out = ['## Recovered instances', ''];
  for (const i of r.instances) {
    const ports = i.ports.map((p) => `${p.host}→${p.guest}`).join(', ') || 'none';
    out.push(`- **${i.host}**: instance ${i.id}, ${i.accel ?? '-'}, network ${i.network}, forwarded ports ${ports}, boot ${i.bootMs === null ? '-' : `${(i.bootMs / 1000).toFixed(1)} s`}, ${i.state}`);
  }
  out.push('');
  for (const e of r.evidence ?? []) {
    if (e.console.length) out.push(`Console of ${e.host} (up to the boot check):`, '', '```', ...e.console, '```', '');
  }
  return out;
}

export function instancesHtml(r: RecoveryReport, esc: (s: string | number | null | undefined) => string): string[] {
  if (!r.instances.length) return [];
  const rows = r.instances.map((i) =>
    `<tr><td>${esc(i.host)}</td><td>${esc(i.id)}</td><td>${esc(i.accel)}</td><td>${esc(i.network)}</td><td>${esc(i.ports.map((p) => `${p.host}→${p.guest}`).join(', ') || 'none')}</td><td>${esc(i.bootMs === null ? '-' : `${(i.bootMs / 1000).toFixed(1)} s`)}</td><td>${esc(i.state)}</td></tr>`,
  );
  const out = ['<h2>Recovered instances</h2>', `<table><tr><th>Host</th><th>Instance</th><th>Accel</th><th>Network</th><th>Forwarded ports</th><th>Boot</th><th>State</th></tr>${rows.join('')}</table>`];
  for (const e of r.evidence ?? []) {
    if (e.console.length) out.push(`<h3>Console of ${esc(e.host)}</h3><pre>${esc(e.console.join('\n'))}</pre>`);
    if (e.png) out.push(`<h3>Screen of ${esc(e.host)}</h3><img alt="screenshot of ${esc(e.host)}" src="data:image/png;base64,${e.png}" style="max-width:100%;border:1px solid #d8dce4">`);
  }
  return out;
}
