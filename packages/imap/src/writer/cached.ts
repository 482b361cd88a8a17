/**
 * ENVELOPE, BODY and BODYSTRUCTURE serialised once, ready to send: the FETCH handler keeps
 * these strings in the store's per-message text cache (Folder.cachedText), so a second FETCH
 * neither parses the message nor serialises again. A string holds the wire bytes one char per
 * byte (latin1), so 8-bit header bytes survive the cache; literals inside stay literals.
 */
import type { EnvelopeFields, MimePart } from '@mailstack/core';
import { writeBodyStructure } from './bodystructure.ts';
import { type EncodeOptions, WireBuilder } from './encode.ts';
import { writeEnvelope } from './envelope.ts';

/** The cache keys; versioned, so a change of the serialisation drops old entries. */
export const CACHE_KEYS = {
  ENVELOPE: 'imap.envelope.1',
  BODY: 'imap.body.1',
  BODYSTRUCTURE: 'imap.bodystructure.1',
} as const;

function wire(name: string, options: EncodeOptions, write: (w: WireBuilder) => void): string {
  const w = new WireBuilder(options);
  w.raw(`${name} `);
  write(w);
  const pieces = w.finish();
  return Buffer.concat(pieces as Buffer[]).toString('latin1');
}

export function envelopeWire(env: EnvelopeFields, options: EncodeOptions = {}): string {
  return wire('ENVELOPE', options, (w) => writeEnvelope(w, env));
}

export function structureWire(
  name: 'BODY' | 'BODYSTRUCTURE',
  structure: MimePart,
  options: EncodeOptions = {},
): string {
  return wire(name, options, (w) => writeBodyStructure(w, structure, name === 'BODYSTRUCTURE'));
}
