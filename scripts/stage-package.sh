#!/bin/bash
# Lays out the package as Cockpit finds it in a data dir, for development and tests:
#   stage-package.sh DATA_DIR HELPER_BINARY
# makes DATA_DIR/cockpit/virt/ with the built page (dist/) and a manifest whose `spawn` points at HELPER_BINARY
# instead of ${libexecdir}, and DATA_DIR/cockpit/virt-beside-machines/, the same package under the label that
# tells it apart from cockpit-machines (docs/packaging.md, "Beside cockpit-machines"), as `make install` does.
# Point XDG_DATA_HOME at DATA_DIR and cockpit-bridge finds the package there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data_dir=$1
helper=$(realpath "$2")
[ -x "$helper" ] || { echo "stage-package: $helper is not an executable" >&2; exit 1; }
[ -f "$here/dist/index.html" ] || { echo "stage-package: dist/ is not built (make page)" >&2; exit 1; }
stage() {  # DIRECTORY MANIFEST
    local pkg=$data_dir/cockpit/$1
    rm -rf "$pkg"; mkdir -p "$pkg"
    for f in "$here"/dist/*; do
        [ "$(basename "$f")" = manifest.json ] || ln -s "$f" "$pkg/"
    done
    sed "s|\${libexecdir}/cockpit-virt-helper|$helper|" "$here/$2" > "$pkg/manifest.json"
}
stage virt manifest.json
stage virt-beside-machines manifest-beside-machines.json
