import { storeErrorCode } from '../session/store-errors.ts';
import type { Completion } from './types.ts';
import { no } from './types.ts';

export function failed(err: unknown): Completion {
  const e = storeErrorCode(err);
  return no(e.text, e.code);
}

/** A trailing delimiter only says "I will create children" (RFC 3501 6.3.3). */
export function trimDelimiter(name: string): string {
  return name.endsWith('/') ? name.slice(0, -1) : name;
}
