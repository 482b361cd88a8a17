import type { Account, Directory } from '@mailstack/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The contract of the `Directory` seam (packages/core/src/directory.ts), one suite for every
 * backend: the file directory, the testkit's memory directory, a database later.
 *
 *   describeDirectoryContract('file directory', async (fixture) => ({ directory, close }));
 *
 * `open(fixture)` fills a fresh backend with `fixture` the way its operator would (keys may
 * come in any case: the backend stores them in its lookup form) and gives the `Directory`;
 * `close()` releases it. Passwords come in plain text: a backend hashes them as it stores
 * them. The suite only reads through the seam, so one backend serves every test.
 *
 * Lookups never throw for a name the backend does not know or cannot parse: they answer null.
 */
export interface DirectoryFixture {
  /** Local domains, as an operator spelled them. */
  domains: string[];
  /** address → password and quotas. */
  users: Record<string, { password: string; quotaBytes?: number; quotaMessages?: number }>;
  /** address → targets: local users, other aliases, remote addresses (kept as written). */
  aliases: Record<string, string[]>;
  /** domain → the address that receives mail for its unknown local parts. */
  catchAll: Record<string, string>;
  /** Characters that start a `+detail`; '+' here. */
  subaddressSeparator: string;
}

export interface DirectoryUnderTest {
  directory: Directory;
  close(): Promise<void>;
}

/** The one fixture every backend is filled with. */
export const DIRECTORY_FIXTURE: DirectoryFixture = {
  domains: ['example.test', 'Other.TEST', 'exämple.test'],
  users: {
    'alice@example.test': { password: 'alice-pw', quotaBytes: 1_000_000 },
    'Bob@Example.test': { password: 'bob-pw' },
    'carol@other.test': { password: 'carol-pw', quotaMessages: 50 },
    'jöran@exämple.test': { password: 'jöran-pw' },
  },
  aliases: {
    'postmaster@example.test': ['alice@example.test', 'someone@remote.test'],
    'info@example.test': ['sales@example.test'],
    'sales@example.test': ['Bob@example.test', 'carol@other.test', 'Someone@Remote.test'],
    'ali@example.test': ['alice@example.test'],
    'a.smith@example.test': ['ali@example.test'],
    'loop1@example.test': ['loop2@example.test'],
    'loop2@example.test': ['loop1@example.test', 'bob@example.test'],
    'self@example.test': ['self@example.test'],
    'dangling@example.test': ['ghost@example.test'],
  },
  catchAll: { 'other.test': 'carol@other.test' },
  subaddressSeparator: '+',
};

const local = (user: string, address: string, detail?: string) => ({
  user,
  address,
  ...(detail === undefined ? {} : { detail }),
});

/** The account with its addresses in a fixed order: the primary first, the rest sorted. */
function normal(account: Account | null): Account | null {
  if (!account) return account;
  const [primary, ...rest] = account.addresses;
  return { ...account, addresses: [primary!, ...rest.sort()] };
}

export function describeDirectoryContract(
  name: string,
  open: (fixture: DirectoryFixture) => Promise<DirectoryUnderTest>,
): void {
  describe(`Directory contract: ${name}`, () => {
    let under: DirectoryUnderTest;
    let dir: Directory;
    beforeAll(async () => {
      under = await open(structuredClone(DIRECTORY_FIXTURE));
      dir = under.directory;
    });
    afterAll(async () => {
      await under.close();
    });

    describe('authenticate', () => {
      it('accepts the password for the account address in any ASCII case and gives the account', async () => {
        expect(normal(await dir.authenticate('Alice@EXAMPLE.test', 'alice-pw'))).toEqual({
          user: 'alice@example.test',
          addresses: ['alice@example.test', 'a.smith@example.test', 'ali@example.test'],
          quotaBytes: 1_000_000,
        });
        expect((await dir.authenticate('bob@example.test', 'bob-pw'))?.user).toBe('bob@example.test');
        expect((await dir.authenticate('jöran@exämple.test', 'jöran-pw'))?.user).toBe('jöran@exämple.test');
      });

      it('answers null for a wrong password, an unknown user, an alias, or a bare local part', async () => {
        expect(await dir.authenticate('alice@example.test', 'wrong')).toBeNull();
        expect(await dir.authenticate('alice@example.test', '')).toBeNull();
        expect(await dir.authenticate('alice@example.test', 'ALICE-PW')).toBeNull();
        expect(await dir.authenticate('mallory@example.test', 'alice-pw')).toBeNull();
        expect(await dir.authenticate('ali@example.test', 'alice-pw')).toBeNull();
        expect(await dir.authenticate('alice', 'alice-pw')).toBeNull();
        expect(await dir.authenticate('', '')).toBeNull();
      });

      it('takes only the account address itself as a login, not a lenient spelling of it', async () => {
        // Lookups forgive a trailing dot or spaces; logins do not (the throttle and the logs
        // would see one account under several names).
        expect(await dir.authenticate('alice@example.test.', 'alice-pw')).toBeNull();
        expect(await dir.authenticate(' alice@example.test', 'alice-pw')).toBeNull();
        expect(await dir.authenticate('alice+x@example.test', 'alice-pw')).toBeNull();
      });
    });

    describe('account', () => {
      it('gives the account by login name in any case, with quotas, without a password', async () => {
        expect(normal(await dir.account('CAROL@other.test'))).toEqual({
          user: 'carol@other.test',
          addresses: ['carol@other.test'],
          quotaMessages: 50,
        });
        // loop1 and loop2 reach bob alone (the loop branch is dropped), so they are his.
        expect(normal(await dir.account('bob@EXAMPLE.test'))).toEqual({
          user: 'bob@example.test',
          addresses: ['bob@example.test', 'loop1@example.test', 'loop2@example.test'],
        });
      });

      it('counts as own addresses only aliases that reach that account alone', async () => {
        const alice = await dir.account('alice@example.test');
        // postmaster also forwards elsewhere, so it is not one of alice's own addresses.
        expect(alice?.addresses).not.toContain('postmaster@example.test');
        expect(alice?.addresses).toContain('a.smith@example.test');
      });

      it('answers null for an unknown user, an alias and a non-address', async () => {
        expect(await dir.account('nobody@other.test')).toBeNull();
        expect(await dir.account('sales@example.test')).toBeNull();
        expect(await dir.account('not-an-address')).toBeNull();
      });
    });

    describe('resolve', () => {
      it('finds a user, in any case, keeping the address as given', async () => {
        expect(await dir.resolve('alice@example.test')).toEqual({
          local: [local('alice@example.test', 'alice@example.test')],
          forward: [],
        });
        expect(await dir.resolve('ALICE@Example.TEST')).toEqual({
          local: [local('alice@example.test', 'ALICE@Example.TEST')],
          forward: [],
        });
        expect((await dir.resolve('bob@example.test'))?.local).toEqual([
          local('bob@example.test', 'bob@example.test'),
        ]);
      });

      it('matches an IDNA domain in either spelling', async () => {
        expect((await dir.resolve('jöran@xn--exmple-cua.test'))?.local.map((t) => t.user)).toEqual([
          'jöran@exämple.test',
        ]);
        expect(dir.isLocalDomain('xn--exmple-cua.test')).toBe(true);
      });

      it('resolves user+detail to the user with the detail, also through an alias', async () => {
        expect(await dir.resolve('alice+lists@example.test')).toEqual({
          local: [local('alice@example.test', 'alice+lists@example.test', 'lists')],
          forward: [],
        });
        expect(await dir.resolve('postmaster+dmarc@example.test')).toEqual({
          local: [local('alice@example.test', 'postmaster+dmarc@example.test', 'dmarc')],
          forward: ['someone@remote.test'],
        });
        expect(await dir.resolve('nobody+x@example.test')).toBeNull();
      });

      it('expands aliases recursively to local users and forwards, each once, forwards as written', async () => {
        expect(await dir.resolve('info@example.test')).toEqual({
          local: [
            local('bob@example.test', 'info@example.test'),
            local('carol@other.test', 'info@example.test'),
          ],
          forward: ['Someone@Remote.test'],
        });
        expect((await dir.resolve('a.smith@example.test'))?.local).toEqual([
          local('alice@example.test', 'a.smith@example.test'),
        ]);
      });

      it('drops a looping branch and keeps the rest', async () => {
        expect(await dir.resolve('loop1@example.test')).toEqual({
          local: [local('bob@example.test', 'loop1@example.test')],
          forward: [],
        });
        expect(await dir.resolve('self@example.test')).toBeNull();
      });

      it('uses the catch-all only for unknown local parts of its own domain', async () => {
        expect(await dir.resolve('whoever@other.test')).toEqual({
          local: [local('carol@other.test', 'whoever@other.test')],
          forward: [],
        });
        expect(await dir.resolve('whoever@example.test')).toBeNull();
        expect(await dir.resolve('dangling@example.test')).toBeNull();
      });

      it('answers null for another domain or a non-address', async () => {
        expect(await dir.resolve('alice@remote.test')).toBeNull();
        expect(await dir.resolve('not-an-address')).toBeNull();
        expect(await dir.resolve('')).toBeNull();
        expect(await dir.resolve('@example.test')).toBeNull();
      });
    });

    describe('input it cannot use', () => {
      const odd = [
        'a@b@example.test',
        '@',
        'alice@',
        '"alice smith"@example.test',
        `${'x'.repeat(5000)}@example.test`,
        'alice@[127.0.0.1]',
        'alice@exa mple.test',
        'ali\0ce@example.test',
        'alice@example.test\r\nRCPT TO:<bob@example.test>',
      ];

      it('answers null instead of throwing, from every lookup', async () => {
        for (const name of odd) {
          expect(await dir.resolve(name)).toBeNull();
          expect(await dir.account(name)).toBeNull();
          expect(await dir.authenticate(name, 'alice-pw')).toBeNull();
          expect(dir.isLocalDomain(name)).toBe(false);
        }
      });
    });

    describe('isLocalDomain', () => {
      it('knows its domains in any case, with or without the trailing dot', () => {
        expect(dir.isLocalDomain('example.test')).toBe(true);
        expect(dir.isLocalDomain('OTHER.test.')).toBe(true);
        expect(dir.isLocalDomain('exämple.test')).toBe(true);
        expect(dir.isLocalDomain('remote.test')).toBe(false);
        expect(dir.isLocalDomain('')).toBe(false);
      });
    });
  });
}
