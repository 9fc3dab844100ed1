// The agent's resource sampler: the /proc parsers behind each metrics sample.
import { describe, expect, it } from 'vitest';
import { cpuPercent, parseMeminfo, parseMounts, parseNetDev } from '../../../agent/metrics.js';

describe('agent sampler parsers', () => {
  it('keeps real file systems from /proc/mounts and decodes escaped mount points', () => {
    const text = ['/dev/vda1 / ext4 rw 0 0', 'proc /proc proc rw 0 0', 'tmpfs /run tmpfs rw 0 0', '/dev/vdb /srv/my\\040data xfs rw 0 0', 'overlay /var/lib/docker/x overlay rw 0 0'].join('\n');
    expect(parseMounts(text)).toEqual(['/', '/srv/my data']);
  });

  it('sums received and sent bytes over every interface but loopback', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0
  eth0: 5000 50 0 0 0 0 0 0 7000 70 0 0 0 0 0 0
  eth1: 100 1 0 0 0 0 0 0 300 3 0 0 0 0 0 0`;
    expect(parseNetDev(text)).toEqual({ rx: 5100, tx: 7300 });
  });

  it('takes used memory as total minus available', () => {
    expect(parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n')).toEqual({ usedBytes: 600 * 1024, totalBytes: 1000 * 1024 });
    expect(parseMeminfo('nonsense')).toBeNull();
  });

  it('turns two CPU counter readings into a busy percentage', () => {
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 350, total: 2000 })).toBe(25);
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBe(0);
  });
});
