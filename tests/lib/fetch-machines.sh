#!/bin/bash
# Unpacks Debian's cockpit-machines (the distribution's candidate) into .cache/cockpit-machines without installing
# it, so tests can show the shell with both "Virtual machines" pages (tests/harness/machines.mjs). Prints the path
# of its package directory (the one holding manifest.json). Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
dest=$here/.cache/cockpit-machines
pkg=$dest/usr/share/cockpit/machines
if [ ! -f "$pkg/manifest.json" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download -q cockpit-machines >&2)
    rm -rf "$dest"; mkdir -p "$dest"
    dpkg-deb -x "$tmp"/cockpit-machines_*.deb "$dest"
fi
[ -f "$pkg/manifest.json" ] || { echo "fetch-machines: no $pkg/manifest.json" >&2; exit 1; }
echo "$pkg"
