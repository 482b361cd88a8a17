import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../src/index.ts';

describe('parseHostPort', () => {
  it('reads host:port, bracketed IPv6, and tells absent from malformed', () => {
    expect(parseHostPort('127.0.0.1:2525')).toEqual({ host: '127.0.0.1', port: 2525 });
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort(undefined)).toBeUndefined();
    for (const bad of ['127.0.0.1', 'host:', 'host:port', '127.0.0.1:70000'])
      expect(parseHostPort(bad), bad).toBeNull();
  });
});
