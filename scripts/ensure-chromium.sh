#!/usr/bin/env bash
# Makes sure a Chromium for the browser test (test/browser/) is installed: Debian's `chromium`
# package at /usr/bin/chromium (playwright's own browser download is not used). Idempotent and
# fast when Chromium is already there; runs `apt-get update` only when the package cannot be
# installed from the current package lists. Needs root (or sudo) only when it has to install.
#
#   bash scripts/ensure-chromium.sh        # then: npm test
#
# TOA_CHROMIUM=/path/to/chromium makes the test (and this script) use that binary instead.
set -euo pipefail

CHROMIUM="${TOA_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: $CHROMIUM present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if [ -n "${TOA_CHROMIUM:-}" ]; then
  echo "ensure-chromium: TOA_CHROMIUM=$TOA_CHROMIUM is not an executable file" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no $CHROMIUM and no apt-get: install Chromium yourself and set TOA_CHROMIUM" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "ensure-chromium: $CHROMIUM is missing and installing it needs root: run as root, or: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() { "${SUDO[@]}" apt-get install -y -qq chromium; }

echo "ensure-chromium: installing Debian's chromium package"
# Current package lists first (no network round trip for the lists when they are fresh enough);
# refresh them only if that fails (empty or stale lists in a fresh container).
if ! apt_install; then
  echo "ensure-chromium: refreshing package lists (apt-get update)"
  "${SUDO[@]}" apt-get update -qq
  apt_install
fi

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: chromium package installed but $CHROMIUM is missing" >&2
  exit 1
fi
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
