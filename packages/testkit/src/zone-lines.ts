/** One parsed zone-file line: absolute owner, TTL, class IN, type and its data. */
export interface ZoneRecord {
  owner: string;
  ttl: number;
  type: string;
  data: string;
}

const NAME = String.raw`(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+`;
const QUOTED = String.raw`"(?:[^"\\]|\\.){0,255}"`;
/** Strict shapes of the data part, per type. */
const DATA: Record<string, RegExp> = {
  MX: new RegExp(`^\\d{1,5} ${NAME}$`),
  A: /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/,
  AAAA: /^[0-9a-f:]+$/,
  TXT: new RegExp(`^${QUOTED}(?: ${QUOTED})*$`),
  SRV: new RegExp(`^\\d{1,5} \\d{1,5} \\d{1,5} (?:${NAME}|\\.)$`),
  CNAME: new RegExp(`^${NAME}$`),
};
const LINE = new RegExp(`^(${NAME})\\t(\\d+)\\tIN\\t(MX|A|AAAA|TXT|SRV|CNAME)\\t(.+)$`);

/** Parses zone text strictly: comments and blank lines aside, every line is a known record. */
export function parseZone(text: string): ZoneRecord[] {
  const records: ZoneRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith(';')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a zone line: ${JSON.stringify(line)}`);
    const [, owner = '', ttl = '', type = '', data = ''] = m;
    if (!DATA[type]?.test(data)) throw new Error(`bad ${type} data: ${JSON.stringify(line)}`);
    records.push({ owner, ttl: Number(ttl), type, data });
  }
  return records;
}

/** The TXT data's strings joined back into one value (RFC 7208 3.3, RFC 6376 3.6.2.2). */
export function txtValue(data: string): string {
  return [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)]
    .map((m) => (m[1] as string).replace(/\\(.)/g, '$1'))
    .join('');
}
