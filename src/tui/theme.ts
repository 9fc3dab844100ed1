// Colour policy in one place: components ask for a tone, never for a colour, so that
// NO_COLOR (https://no-color.org) turns every colour off. Chalk does not read NO_COLOR
// itself, so we must not pass colour props at all when it is set.
import { createContext, useContext } from 'react';

export type Tone = 'ok' | 'warn' | 'bad' | 'accent' | 'info';

const TONE_COLOR: Record<Tone, string> = {
  ok: 'green', warn: 'yellow', bad: 'red', accent: 'cyan', info: 'blue',
};

export interface Theme {
  readonly colors: boolean;
  /** the Ink colour for a tone, or undefined when colours are off */
  color(tone: Tone | undefined): string | undefined;
}

export function makeTheme(colors: boolean): Theme {
  return { colors, color: (tone) => (colors && tone ? TONE_COLOR[tone] : undefined) };
}

/** NO_COLOR, when present and not empty, disables colour. */
export function colorsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['NO_COLOR'];
  return v === undefined || v === '';
}

export const ThemeContext = createContext<Theme>(makeTheme(true));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
