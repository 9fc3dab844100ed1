// The tar writer behind log bundles, checked against the system's tar.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tarGz } from '../../../src/client/tar.js';

describe('tarGz', () => {
  it('writes an archive that tar lists and extracts byte for byte', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-tar-'));
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.log`;
    const data = Buffer.from('x'.repeat(1000));
    fs.writeFileSync(path.join(dir, 'a.tar.gz'), tarGz([{ name: 'b/hub.log', data: Buffer.from('hello\n') }, { name: long, data }]));
    expect(execFileSync('tar', ['tzf', 'a.tar.gz'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toEqual(['b/hub.log', long]);
    execFileSync('tar', ['xzf', 'a.tar.gz'], { cwd: dir });
    expect(fs.readFileSync(path.join(dir, long))).toEqual(data);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
