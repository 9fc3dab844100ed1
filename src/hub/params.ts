// Validation of operator API parameters against the method table of protocol/operator.ts:
// a bad request is a one-line ApiError naming the field; after that, the params are typed.
import { ProtocolError } from '../protocol/errors.js';
import { isMethodName, parseParams, type MethodName, type ParamsOf } from '../protocol/operator.js';
import { ApiError } from './api.js';

export function parse<M extends MethodName>(method: M, params: unknown): ParamsOf<M> {
  try {
    return parseParams(method, params);
  } catch (e) {
    throw new ApiError('bad-request', e instanceof ProtocolError ? `${method}: ${e.message}` : String(e));
  }
}

/** The method, if the table has it; otherwise an unknown-method ApiError. */
export function knownMethod(method: string): MethodName {
  if (!isMethodName(method)) throw new ApiError('unknown-method', `unknown method ${method.slice(0, 100)}`);
  return method;
}

/** The names of one group of the table, for routing a request to its handler. */
export function methodsOf(group: object): ReadonlySet<string> {
  return new Set(Object.keys(group));
}
