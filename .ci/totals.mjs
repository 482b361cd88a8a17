// Sums vitest JSON reports (and the static checks' pass/fail lines) into the one closing line `N passed, M failed`.
// A stage whose report is missing (it crashed before writing) counts as one failure, and so
// does a test file that failed without a failing test in it (it did not load or its hooks threw).
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.error(`no report: ${file}`);
    failed += 1;
    continue;
  }
  if (file.endsWith('.txt')) {
    // Static checks: one `pass NAME` or `fail NAME` line each.
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.startsWith('pass ')) passed += 1;
      else if (line.startsWith('fail ')) failed += 1;
    }
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  for (const suite of report.testResults ?? []) {
    const failedInside = (suite.assertionResults ?? []).some((a) => a.status === 'failed');
    if (suite.status === 'failed' && !failedInside) failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
