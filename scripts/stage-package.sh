#!/bin/bash
# Lays out the package as Cockpit finds it in a data dir, for development and tests:
#   stage-package.sh DATA_DIR HELPER_BINARY
# makes DATA_DIR/cockpit/virt/ with the built page (dist/) and a manifest whose `spawn` points at HELPER_BINARY
# instead of ${libexecdir}. Point XDG_DATA_HOME at DATA_DIR and cockpit-bridge finds the package there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data_dir=$1
helper=$(realpath "$2")
[ -x "$helper" ] || { echo "stage-package: $helper is not an executable" >&2; exit 1; }
[ -f "$here/dist/index.html" ] || { echo "stage-package: dist/ is not built (make page)" >&2; exit 1; }
pkg=$data_dir/cockpit/virt
rm -rf "$pkg"; mkdir -p "$pkg"
for f in "$here"/dist/*; do
    [ "$(basename "$f")" = manifest.json ] || ln -s "$f" "$pkg/"
done
sed "s|\${libexecdir}/cockpit-virt-helper|$helper|" "$here/manifest.json" > "$pkg/manifest.json"
