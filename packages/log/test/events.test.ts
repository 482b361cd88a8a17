import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_EVENT_NAMES, LOG_EVENTS } from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { renderEventTable, withEventTable } from '../src/event-table.ts';

const root = new URL('../../../', import.meta.url).pathname;

describe('LOG_EVENTS', () => {
  it('names each event once, in kebab-case, with a group, its levels, one line saying when, and field types', () => {
    const lower = LOG_EVENT_NAMES.map((n) => n.toLowerCase());
    expect(new Set(lower).size).toBe(LOG_EVENT_NAMES.length);
    for (const name of LOG_EVENT_NAMES) {
      const doc = LOG_EVENTS[name];
      expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(doc.group, name).toMatch(/^[a-z]+$/);
      expect(doc.levels.length, name).toBeGreaterThan(0);
      expect(new Set(doc.levels).size, name).toBe(doc.levels.length);
      for (const level of doc.levels) expect(['debug', 'info', 'warn', 'error']).toContain(level);
      expect(doc.when.trim().length, name).toBeGreaterThan(10);
      expect(doc.when, name).not.toMatch(/\n/);
      for (const spec of Object.values(doc.fields)) expect(spec, name).toMatch(/^[\w|<>,[\]]+\??$/);
    }
  });

  it('keeps the events of one group together, so the README has one table per group', () => {
    const groups = LOG_EVENT_NAMES.map((n) => LOG_EVENTS[n].group);
    const order = groups.filter((g, i) => g !== groups[i - 1]);
    expect(new Set(order).size).toBe(order.length);
  });
});

describe('README', () => {
  it('documents exactly LOG_EVENTS (rewrite with `npm run readme -w @mailstack/log`)', () => {
    const readme = readFileSync(join(root, 'packages/log/README.md'), 'utf8');
    expect(withEventTable(readme)).toBe(readme);
    for (const name of LOG_EVENT_NAMES) expect(renderEventTable()).toContain(`| \`${name}\` |`);
  });
});
