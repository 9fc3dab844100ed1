import { test } from 'vitest';
import { renderApp } from './helpers.js';
test('smoke', async () => {
  for (const [w, h] of [[120, 40], [80, 24]] as const) {
    const a = await renderApp({ columns: w, rows: h, view: { kind: 'host', host: 'web-01' } });
    console.log('=== host', w, h, '\n' + a.frame());
    await a.press('r');
    console.log('=== pick\n' + a.frame());
    await a.press('\r');
    console.log('=== ask\n' + a.frame());
    await a.press('\r');
    await a.press('?');
    console.log('=== help\n' + a.frame());
    a.unmount();
  }
});
