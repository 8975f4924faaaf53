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

. "$(dirname "$0")/apt-install.sh"
apt_can_install setup-go "Go or aws-sdk-go-v2" "Go client test" "${PACKAGES[@]}" || exit 0
apt_install setup-go "${PACKAGES[@]}"
echo "setup-go: $(go version), aws-sdk-go-v2 in /usr/share/gocode"
