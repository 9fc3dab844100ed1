// One HTTP request with a timeout; any non-2xx status or transport failure is a DeliveryError.
import { DeliveryError } from './types.js';

export const HTTP_TIMEOUT_MS = 10_000;

export async function httpSend(url: string, init: { method: 'GET' | 'POST'; body?: string; contentType?: string; signal?: AbortSignal }): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      body: init.method === 'POST' ? init.body : undefined,
      headers: init.method === 'POST' ? { 'content-type': init.contentType ?? 'application/json' } : undefined,
      signal: init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(HTTP_TIMEOUT_MS)]) : AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError(`${init.method} ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) throw new DeliveryError(`HTTP ${res.status} from ${url}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`);
  return text;
}
