#!/usr/bin/env node
// Adds up the results of the Jest and pytest runs of scripts/test-all.sh and prints one line:
// "tests: N passed, N failed, N skipped". Exits non-zero when a test or a step failed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [dir, ...failedSteps] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

const jestFile = path.join(dir, 'jest.json');
if (fs.existsSync(jestFile)) {
  const r = JSON.parse(fs.readFileSync(jestFile, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
for (const name of fs.readdirSync(dir).filter((f) => /^pytest-.*\.xml$/.test(f))) {
  const xml = fs.readFileSync(path.join(dir, name), 'utf8');
  const m = xml.match(/<testsuite\b[^>]*>/);
  if (!m) continue;
  const attr = (a) => Number((m[0].match(new RegExp(`\\b${a}="(\\d+)"`)) ?? [0, 0])[1]);
  const total = attr('tests');
  const bad = attr('failures') + attr('errors');
  const skip = attr('skipped');
  failed += bad;
  skipped += skip;
  passed += total - bad - skip;
}
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || failedSteps.length > 0 || passed === 0 ? 1 : 0);
