import { LOG_EVENT_NAMES, LOG_EVENTS } from '@mailstack/core';

/** The README markers between which the event table lives. */
export const TABLE_START =
  '<!-- log-events:start (generated from LOG_EVENTS in packages/core/src/log-events.ts) -->';
export const TABLE_END = '<!-- log-events:end -->';

/**
 * The event set as a Markdown table (event, level, when, fields), one section per group, so
 * the README documents exactly what the types allow. `npm run readme -w @mailstack/log`
 * rewrites it; a test fails when the README differs.
 */
export function renderEventTable(): string {
  const out: string[] = [];
  let group = '';
  for (const name of LOG_EVENT_NAMES) {
    const doc = LOG_EVENTS[name];
    if (doc.group !== group) {
      group = doc.group;
      out.push('', `**${group}**`, '', '| event | level | when | fields |', '|---|---|---|---|');
    }
    const fields = Object.entries(doc.fields)
      .map(([field, type]) => `\`${field}\`: ${type.replaceAll('|', '\\|')}`)
      .join(', ');
    out.push(`| \`${name}\` | ${doc.levels.join(', ')} | ${doc.when} | ${fields || '—'} |`);
  }
  return out.join('\n').trimStart();
}

/** The README text with the generated table put between the markers. */
export function withEventTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error('README has no log-events markers');
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${renderEventTable()}\n\n${readme.slice(end)}`;
}
