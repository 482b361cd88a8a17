import { type Command, CommandParser, type ParserEvent, type ParserOptions } from '../src/index.ts';

/** Feeds the text in one chunk and returns the events. */
export function events(text: string | Buffer, options?: ParserOptions): ParserEvent[] {
  return new CommandParser(options).feed(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
}

/** Parses exactly one command and fails the test when anything else comes out. */
export function command(text: string | Buffer, options?: ParserOptions): Command {
  const out = events(text, options).filter((e) => e.kind !== 'continue');
  const first = out[0];
  if (out.length !== 1 || first?.kind !== 'command') {
    throw new Error(`expected one command from ${JSON.stringify(text)}, got ${JSON.stringify(out)}`);
  }
  return first.command;
}

/** Feeds byte by byte and collects every event. */
export function feedBytes(parser: CommandParser, text: string | Buffer): ParserEvent[] {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const out: ParserEvent[] = [];
  for (let i = 0; i < buf.length; i++) out.push(...parser.feed(Buffer.from([buf[i]!])));
  return out;
}

export const set = (...ranges: Array<[number | '*', number | '*']>) => ({
  kind: 'set' as const,
  ranges: ranges.map(([start, end]) => ({ start, end })),
});
