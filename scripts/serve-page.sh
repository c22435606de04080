#!/bin/bash
# Serves Cockpit on 127.0.0.1:${PORT:-9090} without login (cockpit-ws --local-session), with the
# package data dir given as $1 in front of the system's, so the shell shows our page.
set -euo pipefail
data_dir=$(realpath "$1")
port=${PORT:-9090}
export XDG_DATA_HOME=$data_dir
bridge=${COCKPIT_BRIDGE:-cockpit-bridge}
ws=$(command -v cockpit-ws || echo /usr/lib/cockpit/cockpit-ws)
[ -x "$ws" ] || ws=/usr/libexec/cockpit-ws
cat >&2 <<MSG

  Cockpit with the Virtual Machines page: http://127.0.0.1:$port/cockpit/@localhost/virt/index.html
  (the whole shell: http://127.0.0.1:$port/ ; no login on loopback; Ctrl-C stops it)

MSG
args=(--no-tls --local-session="$bridge" --port "$port" --address 127.0.0.1)
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null; then
    exec dbus-run-session -- "$ws" "${args[@]}"
fi
exec "$ws" "${args[@]}"
