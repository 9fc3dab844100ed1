// accel auto on a machine where KVM stops the guest: the first start falls back to TCG and
// says why; the failure is kept in the hub's data directory, so the next start (of a restarted
// hub too) goes straight to TCG. A stand-in emulator (a real process) plays qemu: under KVM it
// logs "KVM internal error", as qemu does on these machines while SYSLINUX runs in real mode.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VmSpecView } from '../../../src/protocol/recovery.js';
import { KvmMemo } from '../../../src/recovery/qemu/kvm-memo.js';
import { pidAlive, startVm } from '../../../src/recovery/qemu/vm.js';
import { tempDir } from '../../helpers/cluster.js';

const kvmUsable = (() => {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

const FAKE_QEMU = `#!/bin/sh
# records its accelerator, opens a "monitor" where -qmp says, and under KVM fails like qemu
accel=""; qmp=""; prev=""
for a in "$@"; do
  [ "$prev" = "-accel" ] && accel=$a
  [ "$prev" = "-qmp" ] && qmp=\${a#unix:} && qmp=\${qmp%%,*}
  prev=$a
done
echo "$accel" >> "$(dirname "$0")/accels"
: > "$qmp"
[ "$accel" = kvm ] && echo "KVM internal error. Suberror: 1" >&2
exec sleep 60
`;

describe('accel auto on a machine where KVM fails', () => {
  const dirs: string[] = [];
  const pids: number[] = [];
  afterEach(async () => {
    for (const p of pids.splice(0)) if (pidAlive(p)) process.kill(p, 'SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function setup(): { dir: string; binary: string; start: (memo: KvmMemo) => ReturnType<typeof startVm>; accels: () => string[] } {
    const dir = tempDir('drc-kvm-memo-');
    dirs.push(dir);
    const binary = path.join(dir, 'qemu-system-x86_64');
    fs.writeFileSync(binary, FAKE_QEMU, { mode: 0o755 });
    const spec: VmSpecView = { accel: 'auto', memoryMiB: 64, cpus: 1, firmware: 'bios', diskBus: 'virtio', network: 'none', ports: [], binary };
    let n = 0;
    const start = async (memo: KvmMemo) => {
      const vm = path.join(dir, `vm${++n}`);
      fs.mkdirSync(vm);
      const r = await startVm(binary, {
        name: 'drc-h1', spec, disks: [], forwards: [], bindAddress: '127.0.0.1', console: path.join(vm, 'console.log'),
        qmp: path.join(vm, 'qmp.sock'), pidFile: path.join(vm, 'qemu.pid'), firmwareFile: null,
      }, path.join(vm, 'qemu.log'), memo);
      pids.push(r.pid);
      return r;
    };
    return { dir, binary, start, accels: () => fs.readFileSync(path.join(dir, 'accels'), 'utf8').trim().split('\n') };
  }

  it.skipIf(!kvmUsable)('falls back to TCG once, then a restarted hub on the same data starts straight under TCG and says why', async () => {
    const s = setup();
    const file = path.join(s.dir, 'data', 'kvm-failed.json');
    const first = await s.start(new KvmMemo(file));
    expect(first.accel).toBe('tcg');
    expect(first.note).toMatch(/^KVM failed \(KVM internal error\) after \d+\.\d s; started again under TCG/);
    expect(s.accels()).toEqual(['kvm', 'tcg']);

    const second = await s.start(new KvmMemo(file)); // a new memo: what a restarted hub reads
    expect(second.accel).toBe('tcg');
    expect(second.note).toMatch(/^KVM failed on this machine at \S+ \(KVM internal error\); started under TCG$/);
    expect(s.accels()).toEqual(['kvm', 'tcg', 'tcg']);
  });

  it.skipIf(!kvmUsable)('tries KVM again when the failure was seen with another emulator, or the memo was deleted', async () => {
    const s = setup();
    const file = path.join(s.dir, 'data', 'kvm-failed.json');
    new KvmMemo(file).remember('/usr/bin/qemu-system-x86_64-old', 'KVM internal error', new Date());
    expect(new KvmMemo(file).failed(s.binary)).toBeNull();
    await s.start(new KvmMemo(file));
    expect(s.accels()).toEqual(['kvm', 'tcg']);
    expect(new KvmMemo(file).failed(s.binary)?.reason).toBe('KVM internal error');
    fs.rmSync(file);
    expect(new KvmMemo(file).failed(s.binary)).toBeNull();
  });
});
