/**
 * Change notification for open folders: an in-process bus between Folder objects of the
 * same folder (so IMAP sessions in one process wake each other without the file system),
 * plus fs.watch on new/ and cur/ for other processes. Callbacks are debounced.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';

const bus = new EventEmitter();
bus.setMaxListeners(0);

/** Tells the other Folder objects of this process that `folderDir` changed. */
export function notifyFolderChanged(folderDir: string, source?: object): void {
  bus.emit(folderDir, source);
}

export class FolderWatcher {
  private readonly listeners = new Set<() => void>();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly onBus = (source?: object) => {
    if (source !== this.owner) this.fire();
  };
  private readonly folderDir: string;
  private readonly owner: object;
  private readonly debounceMs: number;

  constructor(folderDir: string, owner: object, debounceMs = 20) {
    this.folderDir = folderDir;
    this.owner = owner;
    this.debounceMs = debounceMs;
  }

  add(cb: () => void): () => void {
    if (this.listeners.size === 0) this.start();
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private start(): void {
    bus.on(this.folderDir, this.onBus);
    for (const sub of ['new', 'cur']) {
      try {
        const w = watch(join(this.folderDir, sub), { persistent: false }, () => this.fire());
        w.on('error', () => {});
        this.watchers.push(w);
      } catch {
        // the directory vanished (folder deleted); the bus still works
      }
    }
  }

  private fire(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const cb of [...this.listeners]) {
        try {
          cb();
        } catch {
          // a listener's failure is its own
        }
      }
    }, this.debounceMs);
  }

  stop(): void {
    bus.off(this.folderDir, this.onBus);
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
