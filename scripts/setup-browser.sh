#!/usr/bin/env bash
# Installs Debian's Chromium for the browser-page test (__tests__/clients/web-page.test.ts),
# which drives it with playwright-core at /usr/bin/chromium. Idempotent and quick when it is
# already there. Without root (and without sudo) it prints how to install it and exits 0: the
# test then skips with its own message, unless IAM_HTTP_API_REQUIRE_BROWSER is set.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  echo "setup-browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") already installed"
  exit 0
fi

. "$(dirname "$0")/apt-install.sh"
apt_can_install setup-browser "$CHROMIUM" "browser-page test" chromium || exit 0
apt_install setup-browser chromium
echo "setup-browser: $("$CHROMIUM" --version)"
