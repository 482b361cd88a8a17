import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One service of docker-compose.yml, with merge keys (`<<: *agent`) applied. */
export interface ComposeService {
  name: string;
  command: string[];
  /** Container ports the service declares, from `ports` (its target side) and `expose`. */
  ports: number[];
  /** `source:target` for named volumes, `bind:source:target[:ro]` for binds. */
  volumes: string[];
  healthcheck?: string[];
  dependsOn: string[];
}

interface RawService {
  command?: string[];
  ports?: string[];
  expose?: string[];
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, unknown> | string[];
}

/** Reads the compose file as docker-compose would see its services (commands, ports, volumes). */
export function composeServices(path: string): ComposeService[] {
  const doc = parse(readFileSync(path, 'utf8'), { merge: true }) as { services: Record<string, RawService> };
  return Object.entries(doc.services).map(([name, s]) => ({
    name,
    command: s.command ?? [],
    ports: [
      ...(s.ports ?? []).map((p) => Number(String(p).split(':').at(-1))),
      ...(s.expose ?? []).map(Number),
    ],
    volumes: (s.volumes ?? []).map((v) =>
      typeof v === 'string' ? v : `${v.type}:${v.source}:${v.target}${v.read_only ? ':ro' : ''}`,
    ),
    ...(s.healthcheck?.test ? { healthcheck: s.healthcheck.test } : {}),
    dependsOn: Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}),
  }));
}
