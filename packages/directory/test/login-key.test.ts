import { describe, expect, it } from 'vitest';
import { addressKey, loginKey, throttleAccountKey } from '../src/address-key.ts';

describe('loginKey', () => {
  it('accepts an address that is its own key up to ASCII case', () => {
    expect(loginKey('bob@example.test')).toBe('bob@example.test');
    expect(loginKey('Bob@Example.TEST')).toBe('bob@example.test');
    expect(loginKey('jörg@bücher.test')).toBe('jörg@bücher.test');
  });

  it('refuses every spelling the lenient lookup maps onto the key', () => {
    for (const name of [
      'bob@example.test.',
      'bob@exam\u00adple.test',
      'bob@ｅｘａｍｐｌｅ.test',
      'bob@example\u3002test',
      'bob@example.test/../alice',
      'bob@example.test?x',
      'bob@example.test#x',
      'bob@example.test\\x',
      ' bob@example.test',
      'jörg@xn--bcher-kva.test',
      'Jörg@bücher.test'.replace('ö', 'Ö'),
      'bob',
    ]) {
      expect(loginKey(name), JSON.stringify(name)).toBeNull();
      // ...while delivery lookups and the throttle still see the account they map to.
      if (addressKey(name) === 'bob@example.test') expect(throttleAccountKey(name)).toBe('bob@example.test');
    }
  });
});
