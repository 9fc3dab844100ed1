// The transient status line message: results and errors of commands and actions.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MessageTone } from './useCockpit.js';

export interface StatusMessage {
  text: string;
  tone: MessageTone;
}

export const MESSAGE_MS = 6_000;

export function useStatusMessage(): [StatusMessage | null, (text: string, tone?: MessageTone) => void] {
  const [message, setMessage] = useState<StatusMessage | null>(null);
  const timer = useRef<NodeJS.Timeout | null>(null);
  const notify = useCallback((text: string, tone: MessageTone = 'info') => {
    if (timer.current) clearTimeout(timer.current);
    setMessage({ text, tone });
    // errors stay twice as long: they are what an operator must not miss
    timer.current = setTimeout(() => setMessage(null), tone === 'bad' ? MESSAGE_MS * 2 : MESSAGE_MS);
  }, []);
  useEffect(() => () => { if (timer.current) clearTimeout(timer.current); }, []);
  return [message, notify];
}
