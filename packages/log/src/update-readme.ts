/** Rewrites the event table of packages/log/README.md from LOG_EVENTS: `npm run readme -w @mailstack/log`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withEventTable } from './event-table.ts';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, withEventTable(readFileSync(file, 'utf8')));
