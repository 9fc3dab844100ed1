import chalk from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { colorsFromEnv } from '../../src/tui/theme.js';
import { KEYS, renderApp } from './helpers.js';

const COLOUR = /\x1b\[(3[0-9]|9[0-7]|4[0-9]|10[0-7])(;\d+)*m/;
const level = chalk.level;
const noColor = process.env['NO_COLOR'];
afterEach(() => {
  chalk.level = level;
  if (noColor === undefined) delete process.env['NO_COLOR'];
  else process.env['NO_COLOR'] = noColor;
});

async function allViews(colors: boolean | undefined): Promise<string[]> {
  const { frame, press, unmount } = await renderApp(colors === undefined ? {} : { colors });
  const frames = [frame()];
  for (const cmd of [':hosts', ':tasks', ':points', ':host web-01']) {
    await press(cmd, KEYS.enter);
    frames.push(frame());
  }
  await press('f');
  frames.push(frame());
  unmount();
  return frames;
}

describe('NO_COLOR', () => {
  it('is honoured when set and not empty', () => {
    expect(colorsFromEnv({ NO_COLOR: '1' })).toBe(false);
    expect(colorsFromEnv({ NO_COLOR: '' })).toBe(true);
    expect(colorsFromEnv({})).toBe(true);
  });

  it('frames contain colour codes when colours are on (the check below means something)', async () => {
    chalk.level = 3;
    const frames = await allViews(true);
    expect(frames.every((f) => COLOUR.test(f))).toBe(true);
  });

  it('frames contain no colour codes under NO_COLOR, even when the terminal supports colour', async () => {
    chalk.level = 3;
    process.env['NO_COLOR'] = '1';
    const frames = await allViews(undefined);
    for (const f of frames) expect(f).not.toMatch(COLOUR);
    expect(frames[1]).toContain('✕ disconnected');
  });
});
