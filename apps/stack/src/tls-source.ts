import { createPrivateKey, X509Certificate } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '@mailstack/core';
import { ensureCertificate } from './tls.ts';

export interface TlsPair {
  key: Buffer;
  cert: Buffer;
}

/**
 * The certificate every TLS listener of this process serves, kept current: the files are
 * watched, and a new pair that parses and matches goes to every listener registered with
 * `onChange` (a renewal by certbot or by hand needs no restart). A half-written or mismatched
 * pair is logged and the old one kept: the next change event tries again.
 */
export interface TlsSource {
  current(): TlsPair;
  /** True when this start made the self-signed certificate. */
  readonly created: boolean;
  onChange(listener: (pair: TlsPair) => void): () => void;
  close(): void;
}

export interface TlsSourceOptions {
  cert: string;
  key: string;
  /** Make a self-signed pair at cert/key (in this folder) when they do not exist yet. */
  selfSignedDir?: string;
  hostname: string;
  logger: Logger;
}

export async function openTlsSource(options: TlsSourceOptions): Promise<TlsSource> {
  const { logger } = options;
  let created = false;
  if (options.selfSignedDir)
    created = (await ensureCertificate(options.selfSignedDir, options.hostname)).created;
  let pair = await readPair(options.cert, options.key);
  const listeners = new Set<(pair: TlsPair) => void>();

  let reading: Promise<void> | null = null;
  let again = false;
  const reload = () => {
    if (reading) {
      again = true;
      return;
    }
    reading = (async () => {
      do {
        again = false;
        try {
          const next = await readPair(options.cert, options.key);
          if (next.cert.equals(pair.cert) && next.key.equals(pair.key)) continue;
          pair = next;
          for (const l of listeners) l(pair);
          logger.info({ event: 'tls-reloaded', cert: options.cert });
        } catch (err) {
          logger.warn({ event: 'tls-reload-failed', cert: options.cert, err: String(err) });
        }
      } while (again);
    })().finally(() => {
      reading = null;
    });
  };

  // The folders, not the files: a renewal usually replaces a file by rename (or swaps a
  // symlink), after which a watch on the old file sees nothing more.
  const names = new Set([basename(options.cert), basename(options.key)]);
  const watchers: FSWatcher[] = [];
  for (const dir of new Set([dirname(options.cert), dirname(options.key)])) {
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(String(name))) reload();
      });
      w.on('error', (err) => logger.warn({ event: 'tls-watch-failed', dir, err: String(err) }));
      watchers.push(w);
    } catch (err) {
      logger.warn({ event: 'tls-watch-failed', dir, err: String(err) });
    }
  }

  return {
    current: () => pair,
    created,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const w of watchers) w.close();
      listeners.clear();
    },
  };
}

/** Both files, checked to be a certificate and its key. */
async function readPair(certPath: string, keyPath: string): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
  if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
    throw new Error(`${keyPath} is not the key of ${certPath}`);
  }
  return { cert, key };
}
