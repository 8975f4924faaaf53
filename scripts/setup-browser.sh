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

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "setup-browser: $CHROMIUM is missing and this user cannot install packages."
  echo "  Install it as root: apt-get update && apt-get install -y --no-install-recommends chromium"
  echo "  (the browser-page test skips until then)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: no apt-get here; install Chromium so that $CHROMIUM exists (the browser-page test skips until then)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup-browser: installing chromium with apt-get"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium
echo "setup-browser: $("$CHROMIUM" --version)"
