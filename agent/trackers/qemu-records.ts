// Which QEMU dirty bitmap stands for the changes since each committed generation of a
// volume: DATA/qemu/VOLUME.GENERATION.json, written (and synced) before the generation itself.
import fs from 'node:fs';
import path from 'node:path';

export interface BitmapRecord {
  generation: number;
  bitmap: string;
  size: number;
  blockSize: number;
}

export class BitmapRecords {
  constructor(
    private readonly dir: string,
    private readonly volume: string,
  ) {}

  private file(generation: number): string {
    return path.join(this.dir, `${this.volume}.${generation}.json`);
  }

  read(generation: number | null): BitmapRecord | null {
    if (generation === null) return null;
    try {
      return JSON.parse(fs.readFileSync(this.file(generation), 'utf8')) as BitmapRecord;
    } catch {
      return null;
    }
  }

  write(rec: BitmapRecord): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const fd = fs.openSync(this.file(rec.generation), 'w');
    try {
      fs.writeSync(fd, JSON.stringify(rec));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Remove the records of every other generation. */
  keepOnly(generation: number): void {
    for (const f of fs.readdirSync(this.dir)) {
      const m = /^(.+)\.(\d+)\.json$/.exec(f);
      if (m && m[1] === this.volume && Number(m[2]) !== generation) fs.rmSync(path.join(this.dir, f), { force: true });
    }
  }
}
