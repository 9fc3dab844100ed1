// Validation of operator API parameters: one schema per method; a bad request is a one-line ApiError.
import { ProtocolError } from '../protocol/errors.js';
import type { Reader } from '../protocol/schema.js';
import { ApiError } from './api.js';

export function paramsParser<S extends Record<string, Reader<unknown>>>(schemas: S) {
  return <K extends keyof S & string>(method: K, params: unknown): ReturnType<S[K]> => {
    try {
      return schemas[method]!(params, 'params') as ReturnType<S[K]>;
    } catch (e) {
      throw new ApiError('bad-request', e instanceof ProtocolError ? e.message : String(e));
    }
  };
}
