// Failback from a qemu failover instance: the guest wrote into its qcow2 overlay, never into
// the restored image under it. Once the instance is stopped, its overlay is merged into that
// image (the overlay is pointed at the image as its backing file, then committed), so the
// image is the DR disk as the guest left it and failback compares and sends from it.
import { spawn } from 'node:child_process';
import { TargetError } from '../targets.js';

function qemuImg(args: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const p = spawn('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', () => reject(new TargetError('qemu-img is not installed (Debian: apt-get install qemu-utils)')));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new TargetError(`qemu-img ${args[0]}: ${err.trim().split('\n').pop() ?? code}`))));
  });
}

/** Write what the guest wrote (the overlay's clusters) into the raw image it ran over. */
export async function mergeOverlay(overlay: string, image: string): Promise<void> {
  await qemuImg(['rebase', '-u', '-f', 'qcow2', '-b', image, '-F', 'raw', overlay]);
  await qemuImg(['commit', '-q', '-f', 'qcow2', overlay]);
}
