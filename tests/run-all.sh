#!/bin/bash
# Runs the whole test suite, in order: unit (cargo test), a preflight of libvirt's drivers (tests/lib/preflight.sh:
# stops the run when one is missing), protocol and libvirt (node --test, through real
# cockpit-bridges and a libvirtd that tests/lib/libvirtd.sh starts and stops), browser (tests/browser, if any),
# login (tests/login: real logins as cvtest-* users), console, create (tests/create, after building the install media).
# Every stage runs even if an earlier one failed. Exits non-zero on any failure; the last line is
# "N passed, N failed".
#   CVIRT_HELPER=path   the helper binary to test (default: target/debug, built here)
#   CVIRT_BRIDGES=337   limit the protocol tests to one bridge
#   CVIRT_SKIP_INSTALL=1  skip the package build/install stage (it installs and purges a .deb system-wide)
#   CVIRT_SUITE_MINUTES=70  the time the run may take: a stage still running then is stopped, later ones are skipped
#                           (each a failure), so a hang shows up as failures and a summary instead of a CI timeout
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"

passed=0
failed=0
status=0
tmp=$(mktemp -d)

# Stop libvirtd afterwards only if this run started it: a libvirtd that was already running (the user's, or
# one `scripts/run-page` started) stays, with the daemons it depends on.
started_libvirtd=no
cleanup() {
    [ "$started_libvirtd" = yes ] && tests/lib/libvirtd.sh stop
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stage() { printf '\n=== %s ===\n' "$*"; }

# Every test file gets at most FILE_TIMEOUT_MS (node --test's --test-timeout bounds a whole file's process; the
# longest takes 1–3 min here); the run as a whole gets CVIRT_SUITE_MINUTES, counted from here.
FILE_TIMEOUT_MS=480000
suite_deadline=$(( $(date +%s) + ${CVIRT_SUITE_MINUTES:-70} * 60 ))
# seconds_left: what remains of the run's time (0 once it is spent).
seconds_left() { local left=$(( suite_deadline - $(date +%s) )); echo $(( left > 0 ? left : 0 )); }

# fail_stage NAME: a stage that could not run (or crashed) counts as one failure.
fail_stage() {
    echo "run-all: $1 failed to run" >&2
    failed=$((failed + 1))
    status=1
}

# node_stage NAME DIR…: node --test with a readable report on stdout and TAP counts kept for the summary.
node_stage() {
    local name=$1; shift
    stage "$name"
    local left
    left=$(seconds_left)
    if [ "$left" -lt 60 ]; then
        echo "run-all: $name skipped: the run's ${CVIRT_SUITE_MINUTES:-70} minutes are spent" >&2
        fail_stage "$name"
        return
    fi
    local tap=$tmp/$name.tap
    timeout --kill-after=30 "$left" node --test --test-concurrency=1 --test-timeout="$FILE_TIMEOUT_MS" \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" "$@"
    local rc=$?
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "run-all: $name stopped: the run's ${CVIRT_SUITE_MINUTES:-70} minutes are spent" >&2
    local p f
    p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
    f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" != 0 ]; then
        status=1
        [ "${f:-0}" = 0 ] && fail_stage "$name"
    fi
}

stage "unit (cargo test)"
unit_rc=0
cargo test --locked 2>&1 | tee "$tmp/cargo.log" || unit_rc=1
read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
                     END { print p + 0, f + 0 }' "$tmp/cargo.log")
passed=$((passed + p))
failed=$((failed + f))
if [ "$unit_rc" != 0 ]; then
    status=1
    [ "$f" = 0 ] && fail_stage "cargo test"
fi

if [ -z "${CVIRT_HELPER:-}" ]; then
    cargo build --locked --quiet || fail_stage "cargo build"
    export CVIRT_HELPER=$PWD/target/debug/cockpit-virt-helper
fi

stage "setup: libvirtd, tiny guest, cockpit 287 bridge, cockpit-machines"
tests/lib/libvirtd.sh status || started_libvirtd=yes
tests/lib/libvirtd.sh start || fail_stage "tests/lib/libvirtd.sh start"
# Every libvirt driver the page uses must be there, or most tests fail for a missing package: stop early and say
# which one to install (the line tests/lib/preflight.sh printed).
if ! tests/lib/preflight.sh; then
    fail_stage "tests/lib/preflight.sh"
    echo "run-all: stopped: install what tests/lib/preflight.sh names above, then run again" >&2
    echo
    echo "$passed passed, $failed failed"
    exit 1
fi
tests/lib/build-guest.sh >/dev/null || fail_stage "tests/lib/build-guest.sh"
[ -x .cache/cockpit-287/usr/bin/cockpit-bridge ] || tests/lib/fetch-bridge-287.sh >/dev/null ||
    fail_stage "tests/lib/fetch-bridge-287.sh"
# Debian's cockpit-machines, unpacked (not installed), for the menu tests beside it.
tests/lib/fetch-machines.sh >/dev/null || fail_stage "tests/lib/fetch-machines.sh"

node_stage protocol tests/protocol
node_stage libvirt tests/libvirt

if compgen -G "tests/browser/*.test.mjs" >/dev/null || compgen -G "tests/browser/**/*.test.mjs" >/dev/null; then
    node_stage browser tests/browser
fi

# Issue 11: real logins through PAM as test users (tests/harness/login.mjs creates and removes them).
if compgen -G "tests/login/*.test.mjs" >/dev/null; then
    node_stage login tests/login
fi

if compgen -G "tests/console/*.test.mjs" >/dev/null; then
    node_stage console tests/console
fi

# Issue 5: guests created through the dialog from media the suite builds (tests/lib/build-media.sh).
if compgen -G "tests/create/*.test.mjs" >/dev/null; then
    if tests/lib/build-media.sh >/dev/null; then
        node_stage create tests/create
    else
        fail_stage "tests/lib/build-media.sh"
    fi
fi

# The packages: tarball, .deb and .rpm built offline, the .deb installed and used, then purged.
if [ "${CVIRT_SKIP_INSTALL:-}" != 1 ] && [ "$(seconds_left)" -lt 60 ]; then
    echo "run-all: install skipped: the run's ${CVIRT_SUITE_MINUTES:-70} minutes are spent" >&2
    fail_stage "make check-install"
elif [ "${CVIRT_SKIP_INSTALL:-}" != 1 ]; then
    stage "install (make check-install)"
    timeout --kill-after=30 "$(seconds_left)" tests/install/run.sh 2>&1 | tee "$tmp/install.log"
    install_rc=${PIPESTATUS[0]}
    read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$tmp/install.log" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$install_rc" != 0 ]; then
        status=1
        [ "${f:-0}" = 0 ] && fail_stage "make check-install"
    fi
fi

# A failing run on a machine nobody can log into (CI) needs libvirtd's side of the story.
if [ "$failed" != 0 ] && [ "$started_libvirtd" = yes ]; then
    stage "libvirtd's last warnings and errors"
    tests/lib/libvirtd.sh log 40
fi

echo
echo "$passed passed, $failed failed"
[ "$status" = 0 ] && [ "$failed" = 0 ]
