import { ApiClient } from '../../client/api-client.js';
import { parseArgs, value } from '../args.js';
import { FLAGS } from '../flags.js';
import { UsageError } from '../errors.js';

export async function demo(argv: string[]): Promise<number> {
  const a = parseArgs('demo', argv, FLAGS.demo);
  if (a.positionals.length) throw new UsageError(`demo: unexpected argument ${a.positionals[0]}`);
  if (!process.stdout.isTTY) throw new UsageError('demo: needs a terminal');
  const { startDemo } = await import('../../demo/demo.js');
  const { runCockpit } = await import('../../tui/run.js');
  process.stderr.write('drc demo: generating disk images and starting the hub and three agents…\n');
  const { DemoDirError } = await import('../../demo/demo-dir.js');
  const d = await startDemo({ dir: value(a, 'dir'), keep: a.switches.has('keep') }).catch((e: unknown) => {
    throw e instanceof DemoDirError ? new UsageError(e.message) : e;
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await d.stop();
  };
  try {
    const client = await ApiClient.connect({ target: d.socket, role: a.switches.has('readonly') ? 'viewer' : undefined });
    await runCockpit({ client, readonly: a.switches.has('readonly') });
  } finally {
    await stop();
  }
  return 0;
}
