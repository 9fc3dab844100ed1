// Turns one stdin chunk as Ink reports it into single keys. A paste, or tmux sending
// "hosts" + Enter in one write, arrives as one chunk and must act like typed keys.
import type { Key } from 'ink';
import { keyName } from './keymap.js';

export interface KeyPress {
  /** as written in the keymap: 'j', 'G', 'enter', 'esc', 'ctrl+c' */
  name: string;
  /** the printable text, '' for special keys */
  input: string;
}

const SPECIAL: Record<string, string> = { '\r': 'enter', '\n': 'enter', '\t': 'tab', '\x7f': 'backspace', '\b': 'backspace', '\x1b': 'esc' };

export function splitKeys(input: string, key: Key): KeyPress[] {
  const plain = !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab && !key.backspace && !key.delete
    && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow && !key.pageUp && !key.pageDown;
  if (plain && [...input].length > 1) {
    return [...input].map((ch) => {
      const special = SPECIAL[ch];
      if (special) return { name: special, input: '' };
      if (ch === '\x03') return { name: 'ctrl+c', input: '' };
      return { name: ch, input: ch };
    });
  }
  const name = keyName(input, key);
  return [{ name, input: name === input ? input : '' }];
}
