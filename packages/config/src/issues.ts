import type { z } from 'zod';
import { closest } from './did-you-mean.ts';
import { keyPath, shown } from './errors.ts';
import { configSchema } from './schema.ts';

type Issue = z.core.$ZodIssue & { input?: unknown };

/** Turns one schema issue into the lines an operator reads (an unknown-keys issue may give several). */
export function describeIssue(issue: Issue): string[] {
  const where = keyPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = keysAt(issue.path);
      return issue.keys.map((key) => {
        const hint = closest(key, known);
        const at = keyPath([...issue.path, key]);
        return `${at}: unknown key${hint ? `; did you mean "${hint}"?` : ''}`;
      });
    }
    case 'invalid_type':
      if (issue.input === undefined) return [`${where}: missing; expected ${issue.expected}`];
      return [`${where}: expected ${typeName(issue.expected)}, got ${shown(issue.input)}`];
    case 'invalid_value': {
      const values = issue.values.map(String);
      const hint = typeof issue.input === 'string' ? closest(issue.input, values) : undefined;
      return [
        `${where}: expected one of ${values.join(', ')}, got ${shown(issue.input)}${hint ? `; did you mean "${hint}"?` : ''}`,
      ];
    }
    default:
      return [`${where}: ${issue.message}${'input' in issue ? `, got ${shown(issue.input)}` : ''}`];
  }
}

function typeName(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'a whole number';
  if (expected === 'number') return 'a number';
  if (expected === 'boolean') return 'true or false';
  if (expected === 'string') return 'a string';
  return expected;
}

/** The keys the schema knows for the object at `path` (for did-you-mean). */
function keysAt(path: ReadonlyArray<PropertyKey>): string[] {
  let schema = unwrap(configSchema as unknown as ZodLike);
  for (const part of path) {
    const def = schema._zod.def;
    if (typeof part === 'number' && def.element) schema = unwrap(def.element);
    else if (def.shape && typeof part === 'string' && def.shape[part]) schema = unwrap(def.shape[part]);
    else if (def.valueType) schema = unwrap(def.valueType);
    else return [];
  }
  return Object.keys(schema._zod.def.shape ?? {});
}

interface ZodLike {
  _zod: {
    def: { innerType?: ZodLike; element?: ZodLike; shape?: Record<string, ZodLike>; valueType?: ZodLike };
  };
}

/** Through default, prefault, nullable and optional wrappers to the schema inside. */
function unwrap(schema: ZodLike): ZodLike {
  let s = schema;
  while (s._zod.def.innerType) s = s._zod.def.innerType;
  return s;
}
