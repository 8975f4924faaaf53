#!/usr/bin/env bash
# Installs Debian's Go toolchain and aws-sdk-go-v2 for the Go client test
# (__tests__/clients/go.test.ts), which builds clients/go/main.go offline in GOPATH mode against
# /usr/share/gocode (no Go module proxy needed). Idempotent and quick when both are there.
# Without root (and without sudo) it prints how to install them and exits 0: the test then skips
# with its own message, unless IAM_HTTP_API_REQUIRE_GO is set.
set -euo pipefail

PACKAGES=(golang-go golang-github-aws-aws-sdk-go-v2-dev)
SDK=/usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/aws/signer/v4

installed() {
  command -v go >/dev/null 2>&1 && [ -d "$SDK" ]
}

if installed; then
  echo "setup-go: $(go version) and aws-sdk-go-v2 ($SDK) already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "setup-go: Go or aws-sdk-go-v2 is missing and this user cannot install packages."
  echo "  Install them as root: apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}"
  echo "  (the Go client test skips until then)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-go: no apt-get here; install Go and aws-sdk-go-v2 so that \`go\` is on PATH and $SDK exists (the Go client test skips until then)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup-go: installing ${PACKAGES[*]} with apt-get"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
echo "setup-go: $(go version), aws-sdk-go-v2 in /usr/share/gocode"
