// The agent's memory of the last committed generation of each volume: the xxh3 and
// sha256 lists that the next scan compares with. Written only after the hub acked a commit;
// files are named by generation and the meta file is renamed last, so a crash leaves
// either the old or the new generation, never a mix.
import fs from 'node:fs';
import path from 'node:path';

export interface VolumeGeneration {
  generation: number;
  blockSize: number;
  blockCount: number;
  size: number;
  xxh: Buffer;
  sha: Buffer;
}

interface Meta {
  generation: number;
  blockSize: number;
  blockCount: number;
  size: number;
}

export class AgentState {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private volDir(volume: string): string {
    return path.join(this.dir, 'volumes', volume);
  }

  load(volume: string): VolumeGeneration | null {
    const d = this.volDir(volume);
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(d, 'meta.json'), 'utf8')) as Meta;
      const xxh = fs.readFileSync(path.join(d, `xxh.${meta.generation}.bin`));
      const sha = fs.readFileSync(path.join(d, `sha.${meta.generation}.bin`));
      if (xxh.length !== meta.blockCount * 8 || sha.length !== meta.blockCount * 32) return null;
      return { ...meta, xxh, sha };
    } catch {
      return null;
    }
  }

  /** The committed generation of a volume (its point id), without loading the hash lists. */
  generation(volume: string): number | null {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(this.volDir(volume), 'meta.json'), 'utf8')) as Meta;
      return meta.generation;
    } catch {
      return null;
    }
  }

  save(volume: string, g: VolumeGeneration): void {
    const d = this.volDir(volume);
    fs.mkdirSync(d, { recursive: true });
    const write = (name: string, data: Buffer | string): void => {
      const fd = fs.openSync(path.join(d, name), 'w');
      try {
        if (typeof data === 'string') fs.writeSync(fd, data);
        else fs.writeSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    };
    write(`xxh.${g.generation}.bin`, g.xxh);
    write(`sha.${g.generation}.bin`, g.sha);
    const meta: Meta = { generation: g.generation, blockSize: g.blockSize, blockCount: g.blockCount, size: g.size };
    write('meta.json.tmp', JSON.stringify(meta));
    fs.renameSync(path.join(d, 'meta.json.tmp'), path.join(d, 'meta.json'));
    for (const f of fs.readdirSync(d)) {
      const m = /^(xxh|sha)\.(\d+)\.bin$/.exec(f);
      if (m && Number(m[2]) !== g.generation) fs.rmSync(path.join(d, f), { force: true });
    }
  }
}
