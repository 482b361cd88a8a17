import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '@mailstack/core';

/**
 * Wakes this process's queue runner when another process changes the spool, so a message
 * enqueued by the MSA or MTA process is leased by the queue-runner process at once rather than
 * on the next poll. Two inotify watches (fs.watch), no daemon and no socket to agree on:
 *
 *   <root>/queue/    a `<id>.meta` this process does not know appeared: another process enqueued
 *   <root>/changes   rewritten by every operator change (flush, hold, release, requeue, delete)
 *
 * Changes to known entries (this process's own leases and settles, another runner's) do not
 * wake: every scan learns every live id, so an own write cannot start a wake-scan loop.
 *
 * Chosen over a unix socket that enqueuers poke: Node has no unix datagram sockets, a stream
 * socket needs one listener per runner and a registry of them, and a poke is lost when no
 * runner is up. The watch needs nothing of the writer, so the operator CLI and older agents
 * wake the runner too. Where inotify does not reach (a spool on NFS shared between hosts) the
 * runner's poll still finds the message.
 */
export class SpoolWatcher {
  readonly #watchers: FSWatcher[] = [];
  readonly #dirs: { root: string; queueDir: string };
  readonly #isKnown: (id: string) => boolean;
  readonly #onChange: () => void;
  readonly #log: Logger;

  constructor(
    dirs: { root: string; queueDir: string },
    isKnown: (id: string) => boolean,
    onChange: () => void,
    log: Logger,
  ) {
    this.#dirs = dirs;
    this.#isKnown = isKnown;
    this.#onChange = onChange;
    this.#log = log;
  }

  start(): void {
    this.#add(this.#dirs.queueDir, (name) => {
      if (name === null) return true;
      if (!name.endsWith('.meta')) return false;
      return !this.#isKnown(name.slice(0, -'.meta'.length));
    });
    this.#add(this.#dirs.root, (name) => name === null || name === 'changes');
  }

  #add(dir: string, wanted: (name: string | null) => boolean): void {
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (wanted(name === null ? null : String(name))) this.#onChange();
      });
      w.on('error', (err) => {
        this.#log.warn(
          { event: 'spool-watch-failed', dir, err: String(err) },
          'spool watch failed; polling only',
        );
        w.close();
      });
      this.#watchers.push(w);
    } catch (err) {
      this.#log.warn(
        { event: 'spool-watch-failed', dir, err: String(err) },
        'cannot watch the spool; polling only',
      );
    }
  }

  stop(): void {
    for (const w of this.#watchers.splice(0)) w.close();
  }
}
