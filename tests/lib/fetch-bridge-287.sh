#!/bin/bash
# Unpacks Debian 12's cockpit-bridge 287 (the C bridge) into .cache/cockpit-287 without installing it, so the
# suite can run the helper under both bridges. Prints the path of the unpacked binary. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
version=287.1-0+deb12u3
dest=$here/.cache/cockpit-287
bin=$dest/usr/bin/cockpit-bridge
if [ ! -x "$bin" ]; then
    # Its shared libraries (json-glib, polkit, libssh) come from Debian 12 itself.
    deps=(libjson-glib-1.0-0 libpolkit-agent-1-0 libpolkit-gobject-1-0 libssh-4 glib-networking)
    missing=()
    for p in "${deps[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download -q "cockpit-bridge=$version" >&2 || {
        # bookworm-security may carry a newer 287.x: take whatever 287 Debian 12 offers.
        v=$(apt-cache madison cockpit-bridge | awk '$3 ~ /^287/ {print $3; exit}')
        apt-get download -q "cockpit-bridge=$v" >&2; })
    rm -rf "$dest"; mkdir -p "$dest"
    dpkg-deb -x "$tmp"/cockpit-bridge_*.deb "$dest"
fi
"$bin" --version >/dev/null 2>&1 || { echo "fetch-bridge-287: $bin does not run" >&2; exit 1; }
echo "$bin"
