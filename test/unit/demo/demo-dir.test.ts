// `drc demo --dir DIR` leaves DIR as it found it: what was there before survives the demo,
// what the demo made is gone, and it refuses to start over a file it would overwrite.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDemo } from '../../../src/demo/demo.js';
import { tempDir } from '../../helpers/cluster.js';

describe('demo --dir', () => {
  let dir = '';
  beforeEach(() => {
    dir = tempDir('drc-demo-dir-');
    process.env.DRC_DEMO_CBT = '0';
  });
  afterEach(() => {
    delete process.env.DRC_DEMO_CBT;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('removes only what it created from a directory that held files', async () => {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    fs.mkdirSync(path.join(dir, 'photos'));
    fs.writeFileSync(path.join(dir, 'photos', 'a.jpg'), 'jpeg');
    const d = await startDemo({ dir, incrementalEveryMs: 3_600_000 });
    expect(fs.existsSync(path.join(dir, 'hub', 'catalog.db'))).toBe(true);
    await d.stop();
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.readFileSync(path.join(dir, 'photos', 'a.jpg'), 'utf8')).toBe('jpeg');
    expect(fs.readdirSync(dir).sort()).toEqual(['notes.txt', 'photos']);
  }, 60_000);

  it('removes a directory it created itself, whole', async () => {
    const fresh = path.join(dir, 'new-demo');
    const d = await startDemo({ dir: fresh, incrementalEveryMs: 3_600_000 });
    await d.stop();
    expect(fs.existsSync(fresh)).toBe(false);
    expect(fs.existsSync(dir)).toBe(true);
  }, 60_000);

  it('refuses to start over a file of the same name as one it writes', async () => {
    fs.writeFileSync(path.join(dir, 'web-01.img'), 'precious');
    await expect(startDemo({ dir })).rejects.toThrow(`demo --dir ${dir}: ${path.join(dir, 'web-01.img')} already exists and is not a demo's; choose an empty or new directory`);
    expect(fs.readFileSync(path.join(dir, 'web-01.img'), 'utf8')).toBe('precious');
    expect(fs.readdirSync(dir)).toEqual(['web-01.img']);
  });
});
