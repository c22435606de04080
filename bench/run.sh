#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make bench`: builds the helper and the raw-cost program, makes sure libvirtd runs, and runs every
# benchmark of issue 4 in one go (about 10 minutes). Results: .cache/bench/results.{md,json};
# docs/benchmarks.md explains them. Creates only cvbench-* domains and removes them at the end,
# also when interrupted. Extra arguments go to bench/bench.py (e.g. --phases snapshot --runs 3).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "bench/run.sh: must run as root (qemu:///system)" >&2; exit 1; }
cargo build --release --locked --bin cockpit-virt-helper --example raw_libvirt_cost
tests/lib/libvirtd.sh start
mkdir -p .cache/bench
cc -O2 -Wall -shared -fPIC -o .cache/bench/calltimes.so bench/calltimes.c -ldl
trap 'bench/cleanup.sh' EXIT
trap 'exit 130' INT TERM
PYTHONDONTWRITEBYTECODE=1 python3 bench/bench.py "$@"
