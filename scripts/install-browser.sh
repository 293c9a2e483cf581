#!/usr/bin/env bash
# Installs what the browser tests need, from Debian packages and the npm registry only:
# Debian's Chromium (never a browser downloaded by a test tool), Noto fonts for Devanagari,
# and the test-only npm packages of e2e/ (playwright-core to drive Chromium, axe-core).
# Prints what it does on stderr; exits non-zero with the reason if anything is missing after.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "install-browser: $*" >&2; }
if [[ ! -x /usr/bin/chromium ]] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans Devanagari'; then
  say "installing chromium and fonts-noto-core from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >&2
fi
if ! command -v node >/dev/null; then
  say "installing nodejs from Debian packages"
  apt-get install -y -qq nodejs npm >&2
fi
if [[ ! -d e2e/node_modules/playwright-core || ! -d e2e/node_modules/axe-core ]]; then
  say "installing e2e/ packages from the npm registry (npm ci)"
  npm ci --prefix e2e --no-audit --no-fund >&2
fi
[[ -x /usr/bin/chromium ]] || { say "FAILED: /usr/bin/chromium missing"; exit 1; }
say "ready: $(/usr/bin/chromium --version 2>/dev/null | head -1), node $(node --version)"
