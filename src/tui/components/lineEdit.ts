// One-line text editing for the prompts: the cursor is always at the end.

/** The edited text, or null when the key is not an editing key. */
export function editLine(text: string, name: string, input: string): string | null {
  if (name === 'backspace') return [...text].slice(0, -1).join('');
  if (name === 'ctrl+u') return '';
  if (name === 'ctrl+w') return text.replace(/\S*\s*$/, '');
  if (input.length > 0 && !name.startsWith('ctrl+') && name === input && !/[\x00-\x1f\x7f]/.test(input)) return text + input;
  return null;
}
