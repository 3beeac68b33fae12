#!/usr/bin/env bash
# UI tests: vitest unit tests, then the built UI in Chromium with the fake backend
# (playwright-core + Debian's /usr/bin/chromium; no browser download).
set -euo pipefail
cd "$(dirname "$0")/../ui"
npx vitest run
npm run build --silent
npx vitest run --config vitest.browser.config.ts
