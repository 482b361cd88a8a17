/**
 * `node --import ./module-trace.ts ...`: appends to the file named by MAILSTACK_MODULE_TRACE one line per
 * package the process loads (`packages/imap`, `apps/stack`, `nodemailer`, `@scope/name`), the
 * first time it loads a module of it.
 */
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.MAILSTACK_MODULE_TRACE;
const seen = new Set<string>();
if (out) {
  registerHooks({
    load(url, context, next) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)|\/((?:packages|apps)\/[^/]+)\//.exec(url);
      const name = m?.[1] ?? m?.[2];
      if (name && !seen.has(name)) {
        seen.add(name);
        appendFileSync(out, `${name}\n`);
      }
      return next(url, context);
    },
  });
}
