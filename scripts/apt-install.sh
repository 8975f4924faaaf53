# Sourced by the setup scripts (setup-browser.sh, setup-go.sh): installs Debian packages with
# apt-get, as root or through `sudo -n`.
#
# apt_can_install NAME WHAT TEST PACKAGE...
#   NAME  the calling script's name, prefixed to every line it prints
#   WHAT  what is missing, for the messages ("/usr/bin/chromium", "Go or aws-sdk-go-v2")
#   TEST  the test that skips without it ("browser-page test")
#   Returns 1 after printing how to install the packages when this user cannot (no root, no
#   sudo, no apt-get): the caller then exits 0 and its test skips with its own message.
# apt_install NAME PACKAGE...
#   Installs them (run under `set -e`: a failing apt-get fails the script).
APT_SUDO=()

apt_can_install() {
  local name=$1 what=$2 test=$3
  shift 3
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      APT_SUDO=(sudo -n)
    else
      echo "$name: $what is missing and this user cannot install packages."
      echo "  Install it as root: apt-get update && apt-get install -y --no-install-recommends $*"
      echo "  (the $test skips until then)"
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$name: no apt-get here; install $* so that $what is there (the $test skips until then)"
    return 1
  fi
}

apt_install() {
  local name=$1
  shift
  export DEBIAN_FRONTEND=noninteractive
  echo "$name: installing $* with apt-get"
  "${APT_SUDO[@]}" apt-get update -qq
  "${APT_SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@"
}
