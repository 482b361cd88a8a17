/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (\\S+)(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
// Go's ParseFloat, which Prometheus uses: Inf and NaN in any case (prom-client writes `Nan`).
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf(?:inity)?|nan)$/i;

/**
 * Reads the Prometheus text exposition format (0.0.4) strictly: every line must be empty, a
 * HELP, a TYPE or a sample with a valid name, labels and value, and a sample's family must have
 * been typed. Throws on the first bad line, naming it. For tests and health checks; the
 * interop stage also runs `promtool check metrics`.
 */
export function parseExposition(text: string): Sample[] {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const typed = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n').slice(0, -1);
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    // The format ignores empty lines; prom-client puts one between families.
    if (line === '' || HELP.test(line)) continue;
    const type = TYPE.exec(line);
    if (type) {
      if (typed.has(type[1] as string)) throw new Error(`${where}: second TYPE for the family`);
      typed.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`${where}: not a HELP, TYPE or sample line`);
    const [, name = '', labelText = '', value = ''] = sample;
    if (!VALUE.test(value)) throw new Error(`${where}: bad value`);
    if (!typed.has(familyOf(name, typed))) throw new Error(`${where}: sample of an untyped family`);
    samples.push({ name, labels: parseLabels(labelText), value: numberOf(value) });
  }
  return samples;
}

function numberOf(value: string): number {
  const lower = value.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^[+-]?inf/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(value);
}

/** `x_bucket`, `x_sum`, `x_count` belong to histogram/summary `x`. */
function familyOf(name: string, typed: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ['histogram', 'summary'].includes(typed.get(base) ?? '')) return base;
  }
  return name;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The value of the one sample with this name and these labels (others ignored); undefined if none. */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const match = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return match?.value;
}
