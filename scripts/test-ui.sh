#!/usr/bin/env bash
# UI tests: unit tests (vitest) and browser tests in Debian's Chromium with the fake backend.
set -euo pipefail
cd "$(dirname "$0")/../ui"
npm run -s build
npm test --silent
npm run -s test:browser
