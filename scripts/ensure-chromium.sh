#!/usr/bin/env bash
# The browser tests (tests/browser) drive Debian's chromium with playwright-core. Installs it with apt when missing;
# does nothing when it is there (or MASR_CHROMIUM points at another Chromium).
set -euo pipefail
if [ -n "${MASR_CHROMIUM:-}" ] && [ -x "$MASR_CHROMIUM" ]; then exit 0; fi
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "installing Debian's chromium for the browser tests (apt-get install chromium)"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
  /usr/bin/chromium --version
else
  # The other tests still run; tests/browser then fails and says how to get a Chromium.
  echo "warning: could not install chromium; the browser tests will fail (apt-get install chromium, or set MASR_CHROMIUM)" >&2
fi
