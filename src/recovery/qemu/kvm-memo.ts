// Whether KVM failed to run a guest on this machine, remembered in the hub's data directory so
// that later starts (of this hub and of the next one on the same data) go straight to TCG
// instead of paying for the failed try again. The verdict holds for one host kernel and one
// emulator binary: a new kernel or qemu gets a fresh try. Delete the file to try KVM again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface KvmVerdict {
  reason: string;
  at: string;
  kernel: string;
  binary: string;
}

/** verdicts this process could not write down, by memo file ('' without one) */
const unwritten = new Map<string, KvmVerdict>();

export class KvmMemo {
  constructor(private readonly file: string | null) {}

  /** the reason KVM failed on this machine with this binary, or null when it may work */
  failed(binary: string): { reason: string; at: string } | null {
    const v = this.load() ?? unwritten.get(this.file ?? '');
    if (!v || v.binary !== binary || v.kernel !== os.release()) return null;
    return { reason: v.reason, at: v.at };
  }

  remember(binary: string, reason: string, at: Date): void {
    const v: KvmVerdict = { reason, at: at.toISOString(), kernel: os.release(), binary };
    if (!this.file) return void unwritten.set('', v);
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(`${this.file}.tmp`, `${JSON.stringify(v)}\n`);
      fs.renameSync(`${this.file}.tmp`, this.file);
    } catch {
      unwritten.set(this.file, v);
    }
  }

  private load(): KvmVerdict | null {
    if (!this.file) return null;
    try {
      const v = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<KvmVerdict>;
      if (typeof v.reason !== 'string' || typeof v.at !== 'string' || typeof v.kernel !== 'string' || typeof v.binary !== 'string') return null;
      return { reason: v.reason, at: v.at, kernel: v.kernel, binary: v.binary };
    } catch {
      return null;
    }
  }
}
