// The serial console of one recovered instance, followed: its last lines fill the view and
// move as the guest writes (asked every second while shown), like `drc instances console
// ID --follow`. Opened with Enter from :instances; x stops the instance as there.
import React from 'react';
import { Box, Text } from 'ink';
import { clean } from '../../recovery/qemu/vm.js';
import { useCockpit, useViewActions } from '../hooks/useCockpit.js';
import { useCockpitState } from '../hooks/useCockpitState.js';
import type { ViewProps } from './types.js';
import type { ViewDef } from './viewDef.js';
import { ViewTitle } from './ViewTitle.js';
import { stopInstance } from './Instances.js';

/** The console's last `rows` lines, escape sequences and carriage returns taken out. */
export function consoleTail(text: string, rows: number): string[] {
  const lines = clean(text).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return rows > 0 ? lines.slice(-rows) : [];
}

export function ConsoleView({ view, width, height }: ViewProps<{ kind: 'console'; id: number }>): React.ReactElement {
  const cockpit = useCockpit();
  const con = useCockpitState((s) => s.consoles[view.id]);
  const inst = useCockpitState((s) => s.instances?.find((i) => i.id === view.id));
  useViewActions((action) => {
    if (action !== 'stop') return false;
    if (inst) stopInstance(cockpit, inst);
    else cockpit.notify(`instance ${view.id} is not listed`);
    return true;
  });
  const lines = con ? consoleTail(con.text, height - 1) : [];
  const who = inst ? `${inst.host} (${inst.kind} instance ${view.id})` : `instance ${view.id}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <ViewTitle title={`Console of ${who}`} details={[con ? con.state : 'asking the hub…', con?.state === 'running' ? 'following' : '']} />
      {con && lines.length === 0 ? <Text dimColor>{' (nothing on the console yet)'}</Text> : null}
      {lines.map((l, n) => <Text key={n} wrap="truncate">{` ${l}`}</Text>)}
    </Box>
  );
}

declare module '../route.js' {
  interface ViewParams { console: { id: number } }
}

export const CONSOLE_POLL_MS = 1000;
export const consoleView: ViewDef<'console'> = {
  title: (v) => `Console ${v.id}`,
  keys: { title: 'Console', bindings: [{ keys: ['x'], action: 'stop', help: 'stop the instance (a failover asks for its host name)', short: 'stop', mutating: true }] },
  feeds: [{
    every: CONSOLE_POLL_MS,
    fetch: async (c, v) => [{ type: 'instance.console', console: await c.call('instances.console', { id: v.id }) }],
  }],
  component: ConsoleView,
};
