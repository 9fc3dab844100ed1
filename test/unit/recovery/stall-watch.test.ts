// The watchdog of a recovery step: a step whose progress stops is failed in one line and its
// signal aborted, even when what it waits on never settles; moving progress, and progress
// that reached its total, keep it alive.
import { describe, expect, it } from 'vitest';
import { stallWatch } from '../../../src/recovery/stall-watch.js';

const never = new Promise<never>(() => undefined);
const after = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a recovery step\'s watchdog', () => {
  it('fails a step that never settles once its progress stops, and aborts its signal', async () => {
    const w = stallWatch(new AbortController().signal, 100, Date.now, 'restore of h1 volume disk');
    await expect(w.guard(never)).rejects.toThrow(/^restore of h1 volume disk: no progress for \d+ s \(watchdog: maintenance\.stall_timeout 0 s\)$/);
    expect(w.signal.aborted).toBe(true);
  });

  it('lets a step whose progress keeps moving finish', async () => {
    const w = stallWatch(new AbortController().signal, 150, Date.now, 'restore');
    const work = (async () => {
      for (let i = 1; i <= 5; i++) {
        await after(60);
        w.touch(i, 10);
      }
      return 'done';
    })();
    await expect(w.guard(work)).resolves.toBe('done');
    expect(w.signal.aborted).toBe(false);
  });

  it('leaves a step alone once every byte is written (fsync, conversion and rename remain)', async () => {
    const w = stallWatch(new AbortController().signal, 80, Date.now, 'restore');
    w.touch(10, 10);
    await expect(w.guard(after(300).then(() => 'converted'))).resolves.toBe('converted');
  });

  it('has no watchdog without a limit, and passes the step\'s own abort on', async () => {
    const parent = new AbortController();
    const w = stallWatch(parent.signal, undefined, Date.now, 'restore');
    const work = w.guard(after(150).then(() => 'ok'));
    parent.abort(new Error('stop'));
    expect(w.signal.aborted).toBe(true);
    await expect(work).resolves.toBe('ok');
  });
});
