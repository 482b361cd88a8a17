import { type Logger, SmtpError } from '@mailstack/core';
import type { InboundCheck, InboundCheckContext, InboundVerdict } from './options.ts';

/**
 * Runs every check that has a method for the stage, in order; the first verdict that is not
 * `accept` is thrown as an SmtpError. A check that throws is a temporary failure (451), so a
 * broken DNSBL never turns into lost or wrongly refused mail.
 */
export async function runChecks(
  checks: InboundCheck[],
  ctx: InboundCheckContext,
  logger: Logger,
): Promise<void> {
  for (const check of checks) {
    const method = check[ctx.stage];
    if (!method) continue;
    let verdict: InboundVerdict;
    try {
      verdict = await method.call(check, ctx);
    } catch (err) {
      logger.error(
        { event: 'check-failed', check: check.name, stage: ctx.stage, err: String(err) },
        'check failed',
      );
      throw new SmtpError(451, '4.3.0', 'Temporary local problem, try again later');
    }
    if (verdict.action === 'accept') continue;
    const error = refusalOf(verdict, ctx.stage);
    logger.info(
      {
        event: 'check-refused',
        check: check.name,
        stage: ctx.stage,
        remote: ctx.remoteAddress,
        code: error.code,
      },
      'refused by check',
    );
    throw error;
  }
}

function refusalOf(verdict: Exclude<InboundVerdict, { action: 'accept' }>, stage: string): SmtpError {
  const temporary = verdict.action === 'tempfail';
  const code = verdict.reply?.code ?? (temporary ? 451 : stage === 'connect' ? 554 : 550);
  const enhanced = verdict.reply?.enhanced ?? (temporary ? '4.7.1' : '5.7.1');
  const text = verdict.reply?.text ?? (temporary ? 'Try again later' : 'Refused by policy');
  return new SmtpError(code, enhanced, text);
}
