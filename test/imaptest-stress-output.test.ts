/**
 * The reading of imaptest's stress output (test/helpers/imaptest-stress.ts) that the interop
 * stress test and bench/imap-stress.ts rely on, on output as imaptest 924f619 prints it.
 */
import { describe, expect, it } from 'vitest';
import { errorKinds, parseStressTotals, stressErrors } from './helpers/imaptest-stress.ts';

const STDOUT = [
  'Logi List Stat Sele Fetc Fet2 Stor Dele Expu Appe Logo ',
  '100%  50%  50% 100% 100% 100%  50% 100% 100% 100% 100% ',
  '                          30%                  5%      ',
  '  18    8   10   17   13   17    4    3   10    8    8  10/ 10',
  '  15   21  115  178  242  324  401  429  474  686    5 ms/cmd avg',
  '',
  'Totals:',
  'Logi List Stat Sele Fetc Fet2 Stor Dele Expu Appe Logo ',
  '100%  50%  50% 100% 100% 100%  50% 100% 100% 100% 100% ',
  '                          30%                  5%      ',
  ' 118   53   65  118   98  157   46   58  113   97  120 ',
  '',
].join('\n');

const STDERR = [
  'Error: u1@x.test[23]: APPEND failed: 23.8 NO [SERVERBUG] internal error',
  'Error: u2@x.test[29]: FETCH failed: 29.3 NO some messages could not be read',
  'Error: u1@x.test[26]: FETCH failed: 26.5 NO some messages could not be read',
  "Error: Keyword '$Label4' dropped, but it still had 1 references",
  'Warning: Keyword not in PERMANENTFLAGS found: $Label1',
  'Info: Received SIGINT - waiting for existing clients to finish',
  'Panic: file client-state.c: line 174: unreached',
].join('\n');

describe('imaptest stress output', () => {
  it('reads the Totals table by column, not the per-second rows before it', () => {
    const { totals, summary } = parseStressTotals(STDOUT);
    expect(totals).toEqual({
      LOGIN: 118,
      LIST: 53,
      STATUS: 65,
      SELECT: 118,
      FETCH: 98,
      'FETCH (2nd)': 157,
      STORE: 46,
      'STORE \\Deleted': 58,
      EXPUNGE: 113,
      APPEND: 97,
      LOGOUT: 120,
    });
    expect(summary[0]).toBe('Totals:');
    expect(summary).toHaveLength(5);
  });

  it('has no totals when imaptest died before printing them', () => {
    expect(parseStressTotals(STDOUT.slice(0, STDOUT.indexOf('Totals:')))).toEqual({
      totals: {},
      summary: [],
    });
  });

  it('counts Error, Warning and Panic lines, not Info', () => {
    const errors = stressErrors(STDERR);
    expect(errors).toHaveLength(6);
    expect(errors.some((l) => l.startsWith('Info'))).toBe(false);
  });

  it('groups errors by what they say, without user, session and numbers', () => {
    expect(errorKinds(stressErrors(STDERR))[0]).toEqual([
      'Error: FETCH failed: N NO some messages could not be read',
      2,
    ]);
  });
});
