#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Destroys and undefines every cvbench-* domain on qemu:///system and deletes their images. Touches
# nothing else. Safe to run any time.
uri=qemu:///system
names() { virsh -q -c "$uri" list "$@" --name 2>/dev/null | grep '^cvbench-' || true; }
cmds=$(for n in $(names --state-running) $(names --state-paused); do printf 'destroy %s; ' "$n"; done)
[ -n "$cmds" ] && virsh -q -c "$uri" "$cmds" >/dev/null 2>&1
cmds=$(for n in $(names --all); do printf 'undefine %s; ' "$n"; done)
[ -n "$cmds" ] && virsh -q -c "$uri" "$cmds" >/dev/null 2>&1
rm -f /var/lib/libvirt/images/cvbench-*
left=$(names --all | wc -l)
[ "$left" = 0 ] || { echo "bench/cleanup.sh: $left cvbench domains are left" >&2; exit 1; }
exit 0
