#!/bin/bash
# Defines each golden domain XML of src/xml/build (src/xml/testdata/build/*.xml) on a real libvirtd and undefines
# it at once, to prove libvirt accepts what build_domain_xml writes. Names become "xb-<name>" and each gets a fresh
# UUID, so nothing else on the host is touched. Usage: scripts/check-build-xml.sh [URI]
set -uo pipefail
uri=${1:-qemu:///system}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0
for xml in "$here"/src/xml/testdata/build/*.xml; do
    uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
    python3 - "$xml" "$uuid" > "$tmp/domain.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
ET.register_namespace("libosinfo", "http://libosinfo.org/xmlns/libvirt/domain/1.0")
tree = ET.parse(sys.argv[1])
root = tree.getroot()
root.find("name").text = "xb-" + root.find("name").text
uuid = root.find("uuid")
if uuid is None:
    uuid = ET.Element("uuid"); root.insert(1, uuid)
uuid.text = sys.argv[2]
sys.stdout.write(ET.tostring(root, encoding="unicode"))
PY
    if out=$(timeout 60 virsh -c "$uri" define "$tmp/domain.xml" 2>&1); then
        echo "ok   $(basename "$xml")"
        timeout 60 virsh -c "$uri" undefine --nvram "$uuid" >/dev/null || { echo "     undefine $uuid failed"; failed=1; }
    else
        echo "FAIL $(basename "$xml"): $out"; failed=1
    fi
done
exit $failed
