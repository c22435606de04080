# SPDX-License-Identifier: LGPL-2.1-or-later
"""cockpit-virt benchmarks (issue 4): run by bench/run.sh (`make bench`).

Phases, in this order, all in one run so that ratios compare like with like:
  snapshot   open of a `watch` → `synced`, helper driven directly on stdin/stdout, against the raw
             libvirt cost (examples/raw_libvirt_cost.rs) in alternating pairs: test:/// 1,000 /
             5,000 / 10,000 defined VMs, then 200 defined cvbench-* VMs on qemu:///system
  bridge     the same open → synced through cockpit-bridge, paired with the helper alone
  memory     peak RSS (VmHWM) with 1,000 running test:/// VMs and a full hour of history (720
             points per VM at a 250 ms tick: 3 minutes), beside the steady phase
  steady     helper CPU seconds per minute, 50 real running no-OS guests, default 5 s tick, one
             usage watch, 3 windows of 60 s
  latency    `virsh suspend` / `resume` → the helper's patch with the new state, 20 times, on the
             steady phase's helper
Writes .cache/bench/results.json and results.md; prints results.md.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import domains  # noqa: E402
from cockpit_peer import Peer, cpu_seconds, proc_status  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPER = os.environ.get("CVIRT_HELPER", os.path.join(REPO, "target/release/cockpit-virt-helper"))
RAW = os.environ.get("CVIRT_RAW", os.path.join(REPO, "target/release/examples/raw_libvirt_cost"))
BRIDGE = "/usr/bin/cockpit-bridge"
OUT = os.path.join(REPO, ".cache/bench")
SHIM = os.path.join(OUT, "calltimes.so")  # built by bench/run.sh from bench/calltimes.c
SYSTEM = "qemu:///system"


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else None


def p95(xs):
    xs = sorted(xs)
    if not xs:
        return None
    # nearest rank
    return xs[max(0, min(len(xs) - 1, -(-95 * len(xs) // 100) - 1))]


def summary(xs):
    return {"n": len(xs), "median": median(xs), "min": min(xs) if xs else None, "max": max(xs) if xs else None}


def virsh(*commands, check=True):
    """One virsh process for a whole batch of commands (`a; b; c`)."""
    r = subprocess.run(["virsh", "-q", "-c", SYSTEM, "; ".join(commands)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"virsh failed: {r.stderr.strip()[:2000]}")
    return r


def virsh_parallel(commands, ways=4):
    """Commands spread over `ways` virsh processes at once (libvirtd runs them in parallel)."""
    commands = list(commands)
    if not commands:
        return
    batches = [commands[i::ways] for i in range(ways) if commands[i::ways]]
    procs = [subprocess.Popen(["virsh", "-q", "-c", SYSTEM, "; ".join(b)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for b in batches]
    errors = [p.communicate()[1].strip() for p in procs]
    failed = [e for p, e in zip(procs, errors) if p.returncode != 0]
    return failed


def cvbench_domains(state="--all"):
    r = subprocess.run(["virsh", "-q", "-c", SYSTEM, "list", state, "--name"], capture_output=True, text=True)
    return [n for n in r.stdout.split() if n.startswith(domains.PREFIX)]


def foreign_domains():
    """Other users' domains on the shared libvirtd, with their state (context for the figures)."""
    r = subprocess.run(["virsh", "-q", "-c", SYSTEM, "list", "--all"], capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and not parts[1].startswith(domains.PREFIX):
            out[parts[1]] = parts[2].strip()
    return out


def cleanup():
    """Destroys and undefines every cvbench-* domain and removes their images."""
    running = cvbench_domains("--state-running") + cvbench_domains("--state-paused")
    virsh_parallel(f"destroy {n}" for n in running)
    defined = cvbench_domains()
    virsh_parallel(f"undefine {n}" for n in defined)
    for f in os.listdir(domains.IMAGES):
        if f.startswith(domains.PREFIX):
            os.unlink(os.path.join(domains.IMAGES, f))
    left = cvbench_domains()
    if left:
        log("WARNING: cvbench domains left:", left)
    return len(defined)


def machine():
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    with open("/proc/meminfo") as f:
        mem_kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))

    def out(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    dirty = out("git", "-C", REPO, "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock")
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": out("sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"),
        "libvirt": out("sh", "-c", f"virsh -c {SYSTEM} version --daemon | grep -i 'running against daemon'"),
        "libvirt_lib": out("sh", "-c", "virsh --version"),
        "qemu": out("qemu-system-x86_64", "--version"),
        "commit": out("git", "-C", REPO, "rev-parse", "--short", "HEAD"),
        "helper_src_dirty": dirty != "?" and dirty != "",
        "helper_sha256": out("sh", "-c", f"sha256sum {HELPER} | cut -c1-12"),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }


# ---------------------------------------------------------------- snapshot


def run_raw(uri):
    t0 = time.monotonic()
    p = subprocess.Popen([RAW, uri], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"raw_libvirt_cost {uri}: {err.decode().strip()}")
    r = json.loads(out)
    r["process_wall_ms"] = wall * 1000
    r["maxrss_kib"] = usage.ru_maxrss
    return r


def run_helper(uri, errlog, env=None):
    """One helper process, one watch: open → synced, split at the helper's libvirt calls (shim)."""
    calls = os.path.join(OUT, "calls.log")
    if os.path.exists(calls):
        os.unlink(calls)
    shim = {"LD_PRELOAD": SHIM, "CVBENCH_CALL_LOG": calls}
    p = Peer([HELPER, "--cockpit-peer"], env={"RUST_LOG": "warn", **shim, **(env or {})}, stderr=errlog)
    try:
        cpu0 = cpu_seconds(p.pid)
        t_open = time.monotonic()
        _, elapsed, vms, nbytes = p.watch_until_synced(uri)
        t_synced = t_open + elapsed
        cpu1 = cpu_seconds(p.pid)
        hwm = proc_status(p.pid, "VmHWM")["VmHWM"]
    finally:
        p.stop()
    with open(calls) as f:
        lines = [line.split() for line in f]
    opened = next(line for line in lines if line[0] == "virConnectOpen")
    listed = next(line for line in lines if line[0] == "virConnectListAllDomains")
    c0, c1, l0 = float(opened[1]), float(opened[2]), float(listed[1])
    return {"ms": elapsed * 1000, "cpu_ms": (cpu1 - cpu0) * 1000, "vms": vms, "bytes": nbytes, "hwm_kib": hwm,
            "before_connect_ms": (c0 - t_open) * 1000, "connect_ms": (c1 - c0) * 1000,
            "until_list_ms": (l0 - c1) * 1000, "list_to_synced_ms": (t_synced - l0) * 1000,
            "after_connect_ms": (t_synced - c1) * 1000}


def stage_bridge_package(helper):
    home = tempfile.mkdtemp(prefix="cvbench-bridge-")
    pkg = os.path.join(home, "cockpit", "virt")
    os.makedirs(pkg)
    with open(os.path.join(REPO, "manifest.json")) as f:
        manifest = f.read().replace("${libexecdir}/cockpit-virt-helper", helper)
    with open(os.path.join(pkg, "manifest.json"), "w") as f:
        f.write(manifest)
    return home


def run_bridge(uri, data_home, errlog):
    """open → synced through cockpit-bridge. A first watch on test:///default makes the bridge spawn
    the helper; the timed watch on `uri` then finds the helper running but its hub new, as the
    direct runs do."""
    argv = [BRIDGE]
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        argv = ["dbus-run-session", "--"] + argv
    p = Peer(argv, env={"XDG_DATA_HOME": data_home, "RUST_LOG": "warn"}, stderr=errlog)
    try:
        warm, _, _, _ = p.watch_until_synced("test:///default")
        _, elapsed, vms, nbytes = p.watch_until_synced(uri)
    finally:
        p.stop()
    return {"ms": elapsed * 1000, "vms": vms, "bytes": nbytes}


def pairs(label, runs, a, b, warmup=True):
    """Runs a() and b() alternately: one warm-up pair (if `warmup`), then `runs` counted pairs."""
    out = []
    for i in range(0 if warmup else 1, runs + 1):
        ra = a()
        rb = b()
        if i > 0:
            out.append((ra, rb))
        log(f"  {label} {'warm-up' if i == 0 else f'run {i}'}: "
            f"{ra.get('ms', ra.get('raw_with_connect_ms')):.1f} / {rb.get('ms', rb.get('raw_with_connect_ms')):.1f} ms")
    return out


def snapshot_row(label, uri, runs, errlog, warmup=True):
    results = pairs(label, runs, lambda: run_helper(uri, errlog), lambda: run_raw(uri), warmup)
    h = [r[0] for r in results]
    raw = [r[1] for r in results]
    row = {
        "label": label, "uri": uri, "runs": runs, "vms": h[0]["vms"], "domains_raw": raw[0]["domains"],
        "snapshot_bytes": h[0]["bytes"], "xml_bytes": raw[0]["xml_bytes"],
        "helper_ms": summary([x["ms"] for x in h]),
        "helper_cpu_ms": summary([x["cpu_ms"] for x in h]),
        "helper_hwm_kib": summary([x["hwm_kib"] for x in h]),
        "raw_rss_after_connect_kib": summary([x["rss_after_connect_kib"] for x in raw]),
        "raw_hwm_kib": summary([x["hwm_kib"] for x in raw]),
        "helper_before_connect_ms": summary([x["before_connect_ms"] for x in h]),
        "helper_connect_ms": summary([x["connect_ms"] for x in h]),
        "helper_until_list_ms": summary([x["until_list_ms"] for x in h]),
        "helper_list_to_synced_ms": summary([x["list_to_synced_ms"] for x in h]),
        "helper_after_connect_ms": summary([x["after_connect_ms"] for x in h]),
        "connect_ms": summary([x["connect_ms"] for x in raw]),
        "raw_ms": summary([x["raw_ms"] for x in raw]),
        "raw_with_connect_ms": summary([x["raw_with_connect_ms"] for x in raw]),
        "raw_connect_cpu_ms": summary([x["connect_cpu_ms"] for x in raw]),
        "raw_cpu_ms": summary([x["raw_cpu_ms"] for x in raw]),
        "raw_list_ms": summary([x["list_ms"] for x in raw]),
        "raw_xml_ms": summary([x["xml_ms"] for x in raw]),
        "raw_stats_ms": summary([x["stats_ms"] for x in raw]),
        "extra_state_each_ms": summary([x["state_each_ms"] for x in raw]),
        "extra_flag_lists_ms": summary([x["flag_lists_ms"] for x in raw]),
        # Pair by pair, so a drifting machine cancels out.
        "ratio_with_connect": summary([a["ms"] / b["raw_with_connect_ms"] for a, b in results]),
        "ratio_without_connect": summary([a["after_connect_ms"] / b["raw_ms"] for a, b in results]),
        "ratio_cpu_with_connect": summary(
            [a["cpu_ms"] / (b["connect_cpu_ms"] + b["raw_cpu_ms"]) for a, b in results]),
        "ratio_cpu_without_connect": summary(
            [(a["cpu_ms"] - b["connect_cpu_ms"]) / b["raw_cpu_ms"] for a, b in results]),
    }
    return row


def phase_snapshot(args, res, errlog):
    res["snapshot"] = []
    uris = [domains.write_test_node(os.path.join(args.out, f"node-{n}.xml"), n) for n in args.sizes]
    for i, (n, uri) in enumerate(zip(args.sizes, uris)):
        log(f"snapshot: test:/// {n} VMs")
        # One warm-up pair before the first row (binaries, page cache); the larger rows need none.
        res["snapshot"].append(snapshot_row(f"test:/// {n}", uri, args.runs, errlog, warmup=i == 0))

    xmldir = os.path.join(args.out, "xml")
    os.makedirs(xmldir, exist_ok=True)
    files = []
    for i in range(args.defined):
        path = os.path.join(xmldir, f"{domains.name(i)}.xml")
        with open(path, "w") as f:
            f.write(domains.qemu_defined_xml(i))
        files.append(path)
    t0 = time.monotonic()
    virsh(*(f"define {f}" for f in files))
    res["define_seconds"] = time.monotonic() - t0
    log(f"snapshot: defined {args.defined} VMs on {SYSTEM} in {res['define_seconds']:.1f} s (one virsh)")
    res["snapshot"].append(snapshot_row(f"{SYSTEM} {args.defined} defined", SYSTEM, args.runs, errlog))


def phase_bridge(args, res, errlog):
    home = stage_bridge_package(HELPER)
    res["bridge"] = []
    try:
        for label, uri in [(f"test:/// {args.sizes[0]}", domains.write_test_node(
                os.path.join(args.out, f"node-{args.sizes[0]}.xml"), args.sizes[0])),
                (f"{SYSTEM} {args.defined} defined", SYSTEM)]:
            log(f"bridge: {label}")
            results = pairs(label, args.runs, lambda: run_bridge(uri, home, errlog),
                            lambda: run_helper(uri, errlog))
            res["bridge"].append({
                "label": label, "runs": args.runs, "vms": results[0][0]["vms"],
                "bridge_ms": summary([a["ms"] for a, _ in results]),
                "helper_ms": summary([b["ms"] for _, b in results]),
                "overhead_ms": summary([a["ms"] - b["ms"] for a, b in results]),
                "ratio": summary([a["ms"] / b["ms"] for a, b in results]),
            })
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ---------------------------------------------------------------- running guests


def start_running(args, res):
    os.makedirs(os.path.join(args.out, "xml"), exist_ok=True)
    files = []
    images = []
    for i in range(args.running):
        image = os.path.join(domains.IMAGES, f"{domains.name(10000 + i)}.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", image, "64M"], check=True)
        images.append(image)
        path = os.path.join(args.out, "xml", f"{domains.name(10000 + i)}.xml")
        with open(path, "w") as f:
            f.write(domains.qemu_running_xml(10000 + i, image))
        files.append(path)
    t0 = time.monotonic()
    virsh(*(f"define {f}" for f in files))
    failed = virsh_parallel((f"start {domains.name(10000 + i)}" for i in range(args.running)), ways=2)
    if failed:
        raise RuntimeError(f"virsh start failed: {failed[0][:2000]}")
    res["start_seconds"] = time.monotonic() - t0
    running = [n for n in cvbench_domains("--state-running")]
    log(f"started {len(running)} no-OS guests in {res['start_seconds']:.1f} s")
    if len(running) != args.running:
        raise RuntimeError(f"only {len(running)} of {args.running} guests run")
    return [domains.uuid(10000 + i, 3) for i in range(args.running)]


def qemu_pids():
    """PIDs of the cvbench guests' QEMU processes."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"qemu-system" in cmd and b"guest=" + domains.PREFIX.encode() in cmd:
            out.append(int(pid))
    return out


def libvirtd_pid():
    try:
        with open("/run/libvirtd.pid") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def history_length(peer, uri, vm):
    channel, _ = peer.open(payload="virt1", op="history", uri=uri, vm=vm)
    msg, _ = peer.data(channel, timeout=30)
    peer.next(channel, lambda m: m["command"] == "close", 30)
    return len(msg["series"]["time"])


def phase_memory(args, res, errlog):
    """Peak RSS with 1,000 running VMs and an hour of history: the helper on a test:/// file where
    every VM runs (the test driver answers the bulk stats call for running domains: state fields
    only), with a 250 ms tick (the helper's floor) and 180 s of history, i.e. 720 points per VM as
    an hour at the default 5 s tick. Runs beside the steady-state phase (other process, in-process
    test driver, ~2 % of a core)."""
    points = args.history_seconds * 1000 // args.tick_ms
    env = {"RUST_LOG": "warn", "CVIRT_TICK_MS": str(args.tick_ms), "CVIRT_HISTORY_SECONDS": str(args.history_seconds)}
    n = args.sizes[0]
    uri = domains.write_test_node(os.path.join(args.out, f"node-{n}-running.xml"), n, running_every=1)
    if args.memory_via == "libvirtd":
        # test+unix:// loads the same file inside libvirtd, so the helper's RSS is the helper's alone.
        uri = uri.replace("test://", "test+unix://", 1)
    vm = domains.uuid(0, 1)
    # libvirt's test driver keeps every domain in the connecting process: the raw program's RSS
    # after connecting to the same file says how much of the helper's RSS is libvirt's.
    raw = [run_raw(uri) for _ in range(3)]
    raw_sys = [run_raw(SYSTEM) for _ in range(3)]
    out = {"label": f"{uri.split(':')[0]}:/// {n} running", "uri": uri, "tick_ms": args.tick_ms, "history_seconds": args.history_seconds,
           "raw_rss_after_connect_kib": median([r["rss_after_connect_kib"] for r in raw]),
           "raw_hwm_kib": median([r["hwm_kib"] for r in raw]),
           "raw_system_rss_after_connect_kib": median([r["rss_after_connect_kib"] for r in raw_sys]),
           "samples": []}
    log(f"memory: tick {args.tick_ms} ms, history {args.history_seconds} s = {points} points per VM")
    p = Peer([HELPER, "--cockpit-peer"], env=env, stderr=errlog)
    try:
        _, elapsed, vms, _ = p.watch_until_synced(uri, usage=True)
        st = proc_status(p.pid, "VmHWM", "VmRSS")
        out.update(vms=vms, synced_ms=elapsed * 1000, rss_at_synced_kib=st["VmRSS"], hwm_at_synced_kib=st["VmHWM"])
        start = time.monotonic()
        full_at = None
        have = 0
        while time.monotonic() - start < args.history_seconds + 60:
            time.sleep(5 if time.monotonic() - start < args.history_seconds - 5 else 1)
            st = proc_status(p.pid, "VmHWM", "VmRSS")
            have = history_length(p, uri, vm)
            out["samples"].append([round(time.monotonic() - start, 1), have, st["VmRSS"], st["VmHWM"]])
            if have >= points and full_at is None:
                full_at = time.monotonic()
            # A few more ticks with the ring full (pop + push), then read the peak.
            if full_at is not None and time.monotonic() - full_at >= 4 * args.tick_ms / 1000:
                break
        st = proc_status(p.pid, "VmHWM", "VmRSS")
        out.update(points_per_vm=have, rss_full_kib=st["VmRSS"], hwm_full_kib=st["VmHWM"],
                   cpu_seconds=cpu_seconds(p.pid), fill_seconds=round(time.monotonic() - start, 1))
        log(f"memory: {have} points per VM, VmHWM {st['VmHWM'] / 1024:.1f} MiB")
    finally:
        p.stop()
    res["memory"] = out


def count_lines(path, word):
    with open(path, errors="replace") as f:
        return sum(word in line for line in f)


def phase_steady_and_latency(args, res, running_uuids):
    """Helper CPU with the real running guests at the default tick and one usage watch, then the
    event latency on the same helper."""
    errpath = os.path.join(args.out, "helper-steady.log")
    with open(errpath, "w") as errlog:
        p = Peer([HELPER, "--cockpit-peer"], env={"RUST_LOG": "warn"}, stderr=errlog)
        try:
            channel, elapsed, vms, _ = p.watch_until_synced(SYSTEM, usage=True)
            log(f"steady: {vms} VMs on {SYSTEM}; warming up {args.warmup} s")
            time.sleep(args.warmup)
            lv = libvirtd_pid()
            qemus = qemu_pids()
            q = p._queue(channel)
            windows = []
            for w in range(args.windows):
                while not q.empty():
                    q.get_nowait()
                c0, l0 = cpu_seconds(p.pid), cpu_seconds(lv) if lv else 0
                g0 = sum(cpu_seconds(x) for x in qemus)
                b0 = count_lines(errpath, "blocked")
                t0 = time.monotonic()
                time.sleep(args.window)
                c1, l1 = cpu_seconds(p.pid), cpu_seconds(lv) if lv else 0
                g1 = sum(cpu_seconds(x) for x in qemus)
                span = time.monotonic() - t0
                got = []
                while not q.empty():
                    m = q.get_nowait()
                    if m and m["command"] is None:
                        got.append(m)
                per_min = 60 / span
                windows.append({
                    "seconds": span, "helper_cpu_s_per_min": (c1 - c0) * per_min,
                    "libvirtd_cpu_s_per_min": (l1 - l0) * per_min if lv else None,
                    "guests_cpu_s_per_min": (g1 - g0) * per_min, "messages": len(got),
                    "bytes_per_min": sum(m["len"] for m in got) * per_min,
                    "blocked_stats_calls": count_lines(errpath, "blocked") - b0,
                })
                log(f"steady: window {w + 1}: helper {(c1 - c0) * per_min:.3f} CPU s/min, {len(got)} messages")
            st = proc_status(p.pid, "VmHWM", "VmRSS")
            res["steady"] = {
                "vms": vms, "running": len(running_uuids), "tick_s": 5, "windows": windows,
                "helper_cpu_s_per_min": summary([w["helper_cpu_s_per_min"] for w in windows]),
                "helper_percent_of_core": summary([w["helper_cpu_s_per_min"] / 60 * 100 for w in windows]),
                "libvirtd_cpu_s_per_min": summary([w["libvirtd_cpu_s_per_min"] for w in windows
                                                   if w["libvirtd_cpu_s_per_min"] is not None]),
                "guests_cpu_s_per_min": summary([w["guests_cpu_s_per_min"] for w in windows]),
                "helper_rss_kib": st["VmRSS"], "helper_hwm_kib": st["VmHWM"],
            }
            if args.latency_runs:
                res["latency"] = latency(p, channel, running_uuids, args.latency_runs)
        finally:
            p.stop()


def latency(p, channel, running_uuids, runs):
    """`suspend`/`resume` written to one warm interactive virsh → the patch with the new state.
    Also timed: virsh's own reply (libvirtd has done the job), so the part after it is the
    event's way through libvirtd and the helper."""
    sh = subprocess.Popen(["virsh", "-c", SYSTEM], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, bufsize=0)
    replies = []

    def read_virsh():
        buf = b""
        while True:
            chunk = os.read(sh.stdout.fileno(), 65536)
            if not chunk:
                return
            now = time.monotonic()
            buf += chunk
            for word in (b"suspended", b"resumed", b"error"):
                while word in buf:
                    replies.append((word.decode(), now))
                    buf = buf[buf.index(word) + len(word):]

    threading.Thread(target=read_virsh, daemon=True).start()
    q = p._queue(channel)

    def wait_state(uuid, state, timeout=10):
        key = uuid.encode()
        while True:
            m = p.next(channel, lambda m: m["command"] is None and key in m["raw"], timeout)
            vm = (json.loads(m["raw"]).get("vms") or {}).get(uuid)
            if vm and vm["state"] == state:
                return m["t"]

    cycles = []
    for i in range(-1, runs):  # -1: a warm-up cycle, not counted
        idx = i % len(running_uuids)
        uuid, name = running_uuids[idx], domains.name(10000 + idx)
        for cmd, state in (("suspend", "paused"), ("resume", "running")):
            while not q.empty():
                q.get_nowait()
            n_replies = len(replies)
            t0 = time.monotonic()
            sh.stdin.write(f"{cmd} {name}\n".encode())
            t_patch = wait_state(uuid, state)
            for _ in range(200):
                if len(replies) > n_replies:
                    break
                time.sleep(0.01)
            reply = replies[n_replies] if len(replies) > n_replies else (None, None)
            if reply[0] == "error":
                raise RuntimeError(f"virsh {cmd} {name} failed")
            if i >= 0:
                cycles.append({"cmd": cmd, "patch_ms": (t_patch - t0) * 1000,
                               "reply_ms": (reply[1] - t0) * 1000 if reply[1] else None})
            time.sleep(0.2)
    sh.stdin.close()
    sh.wait(timeout=10)
    out = {"cycles": cycles}
    for cmd in ("suspend", "resume"):
        c = [x for x in cycles if x["cmd"] == cmd]
        for key, values in (("patch", [x["patch_ms"] for x in c]),
                            ("reply", [x["reply_ms"] for x in c if x["reply_ms"] is not None]),
                            ("after_reply", [x["patch_ms"] - x["reply_ms"] for x in c if x["reply_ms"] is not None])):
            out[f"{cmd}_{key}"] = {**summary(values), "p95": p95(values)}
    return out


# ---------------------------------------------------------------- report


def fmt_ms(s):
    return f"{s['median']:.1f}" if s and s["median"] is not None else "–"


def report(res):
    m = res["machine"]
    lines = [
        "# cockpit-virt benchmark results",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}, kernel {m['kernel']}; "
        f"{m['libvirt']}; {m['qemu']}. Helper at {m['commit']}"
        f"{' (src/ modified)' if m['helper_src_dirty'] else ''}, release build (sha256 {m.get('helper_sha256')}…). "
        f"Load average at start {' '.join(m['loadavg_start'])}, at end {' '.join(res.get('loadavg_end', []))}.",
        f"Command: `{res['command']}`; {res['runs']} counted runs per row (one warm-up pair before the first row "
        f"of each table), helper and raw program alternating; medians (min–max). "
        f"Total {res.get('total_seconds', 0):.0f} s.",
        "",
    ]
    if res.get("snapshot"):
        lines += [
            "## Snapshot: open of `watch` → `synced`, against the raw libvirt cost",
            "",
            "| VMs | helper ms (min–max) | helper after connect | raw: connect + list/XML/stats | ratio | "
            "ratio w/o connect (min–max) | CPU ratio w/o connect | snapshot bytes |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in res["snapshot"]:
            local = r["uri"].startswith("test:")
            lines.append(
                f"| {r['label']} ({r['vms']}) | {fmt_ms(r['helper_ms'])} ({r['helper_ms']['min']:.0f}–"
                f"{r['helper_ms']['max']:.0f}) | {fmt_ms(r['helper_after_connect_ms'])} | "
                f"{fmt_ms(r['raw_with_connect_ms'])} = {fmt_ms(r['connect_ms'])} + {fmt_ms(r['raw_ms'])} | "
                f"{r['ratio_with_connect']['median']:.2f} | {r['ratio_without_connect']['median']:.2f} "
                f"({r['ratio_without_connect']['min']:.2f}–{r['ratio_without_connect']['max']:.2f}) | "
                f"{(format(r['ratio_cpu_without_connect']['median'], '.2f') if local else '–')} | "
                f"{r['snapshot_bytes']} |")
        lines += [
            "",
            "Where the time goes (ms, medians). Helper: split at its own libvirt calls (LD_PRELOAD shim); "
            "raw: the example's phases, and in parentheses what the helper calls on top of them:",
            "",
            "| VMs | helper: open → connect | connect | connect → first list (events, keepalive) | "
            "first list → synced | raw: list | XML of each | bulk stats | (GetState each) | (3 flag listings) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in res["snapshot"]:
            lines.append(
                f"| {r['label']} | {fmt_ms(r['helper_before_connect_ms'])} | {fmt_ms(r['helper_connect_ms'])} | "
                f"{fmt_ms(r['helper_until_list_ms'])} | {fmt_ms(r['helper_list_to_synced_ms'])} | "
                f"{fmt_ms(r['raw_list_ms'])} | {fmt_ms(r['raw_xml_ms'])} | {fmt_ms(r['raw_stats_ms'])} | "
                f"{fmt_ms(r['extra_state_each_ms'])} | {fmt_ms(r['extra_flag_lists_ms'])} |")
    if res.get("bridge"):
        lines += ["", "## Through cockpit-bridge", "",
                  "| VMs | via bridge ms | helper alone ms | overhead ms | ratio |", "|---|---|---|---|---|"]
        for r in res["bridge"]:
            lines.append(f"| {r['label']} ({r['vms']}) | {fmt_ms(r['bridge_ms'])} | {fmt_ms(r['helper_ms'])} | "
                         f"{fmt_ms(r['overhead_ms'])} | {r['ratio']['median']:.2f} |")
    if res.get("memory"):
        r = res["memory"]
        mib = 1024
        own = r["hwm_full_kib"] - r["raw_rss_after_connect_kib"]
        lines += ["", f"## Peak RSS: {r['vms']} running VMs, {r['points_per_vm']} history points each "
                  f"(= {r['points_per_vm'] * 5 / 60:.0f} min at the default 5 s tick), tick {r['tick_ms']} ms, "
                  f"`{r.get('uri', 'test://')}`", "",
                  "| figure | MiB |", "|---|---|",
                  f"| helper VmHWM at synced (no history yet) | {r['hwm_at_synced_kib'] / mib:.1f} |",
                  f"| helper VmHWM with the history full | {r['hwm_full_kib'] / mib:.1f} |"]
        if r.get("uri", "").startswith("test+unix"):
            # The domains live in libvirtd: the helper's RSS is its own.
            lines += [f"| raw program's VmRSS after connecting (libvirt client alone) | "
                      f"{r['raw_rss_after_connect_kib'] / mib:.1f} |"]
        else:
            lines += [f"| raw program's VmRSS after connecting to the same file (libvirt + test driver's copy of "
                      f"the domains) | {r['raw_rss_after_connect_kib'] / mib:.1f} |",
                      f"| helper's own share (difference) | {own / mib:.1f} |",
                      f"| raw program's VmRSS after connecting to {SYSTEM} (libvirt client alone) | "
                      f"{r['raw_system_rss_after_connect_kib'] / mib:.1f} |",
                      f"| estimate with a real libvirtd (client alone + helper's own share) | "
                      f"{(r['raw_system_rss_after_connect_kib'] + own) / mib:.1f} |"]
        lines += [f"| filling took | {r['fill_seconds']} s |"]
    if res.get("memory_error"):
        lines += ["", f"Memory phase failed: {res['memory_error']}"]
    if res.get("steady"):
        s = res["steady"]
        blocked = sum(w["blocked_stats_calls"] for w in s["windows"])
        lines += ["", f"## Steady state: {s['running']} running VMs ({s['vms']} in all), 5 s tick, one usage watch", "",
                  "| per minute (median of windows) | value |", "|---|---|",
                  f"| helper CPU s | {s['helper_cpu_s_per_min']['median']:.3f} "
                  f"({s['helper_cpu_s_per_min']['min']:.3f}–{s['helper_cpu_s_per_min']['max']:.3f}), "
                  f"{s['helper_percent_of_core']['median']:.2f} % of one core |",
                  f"| libvirtd CPU s (whole daemon, shared) | {s['libvirtd_cpu_s_per_min']['median']:.2f} |"
                  if s["libvirtd_cpu_s_per_min"]["n"] else "| libvirtd CPU s | – |",
                  f"| the {s['running']} guests' QEMU CPU s | {s['guests_cpu_s_per_min']['median']:.2f} |",
                  f"| windows | {len(s['windows'])} × {s['windows'][0]['seconds']:.0f} s |",
                  f"| helper VmHWM | {s['helper_hwm_kib'] / 1024:.1f} MiB |",
                  f"| stats calls that blocked (another user's stuck QEMU) | {blocked} |"]
        if res.get("foreign_domains"):
            lines += ["", "Other users' domains on the shared libvirtd at the time: " + ", ".join(
                f"{k} ({v})" for k, v in sorted(res["foreign_domains"].items())) + "."]
    if res.get("latency"):
        lat = res["latency"]
        lines += ["", "## Event → helper patch (one warm interactive virsh; ms from writing the command)", "",
                  "| command | n | patch median | patch p95 | patch max | virsh's reply median | "
                  "patch after the reply, median | p95 |", "|---|---|---|---|---|---|---|---|"]
        for cmd in ("suspend", "resume"):
            s, rp, ar = lat[f"{cmd}_patch"], lat[f"{cmd}_reply"], lat[f"{cmd}_after_reply"]
            lines.append(f"| {cmd} | {s['n']} | {s['median']:.1f} | {s['p95']:.1f} | {s['max']:.1f} | "
                         f"{fmt_ms(rp)} | {fmt_ms(ar)} | {ar['p95']:.1f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, ".cache/bench"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    ap.add_argument("--defined", type=int, default=200)
    ap.add_argument("--running", type=int, default=50)
    ap.add_argument("--tick-ms", type=int, default=250)
    ap.add_argument("--history-seconds", type=int, default=180)
    ap.add_argument("--memory-via", choices=["libvirtd", "in-process"], default="libvirtd",
                    help="memory phase: the test driver inside libvirtd (test+unix://) or inside the helper (test://)")
    ap.add_argument("--warmup", type=int, default=12)
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--latency-runs", type=int, default=20)
    ap.add_argument("--phases", default="snapshot,bridge,memory,steady")
    args = ap.parse_args()
    global OUT
    OUT = args.out
    os.makedirs(args.out, exist_ok=True)
    phases = args.phases.split(",")
    t_start = time.monotonic()
    res = {"command": " ".join(["bench/run.sh"] + sys.argv[1:]), "runs": args.runs, "machine": machine()}
    errlog = open(os.path.join(args.out, "helper-stderr.log"), "w")
    log(f"machine: {res['machine']}")
    if cleanup():
        log("removed cvbench domains left by an earlier run")
    try:
        if "snapshot" in phases:
            phase_snapshot(args, res, errlog)
        if "bridge" in phases:
            phase_bridge(args, res, errlog)
        # The memory phase needs 3+ minutes of wall time but almost no CPU, and no libvirtd: it
        # runs beside the steady-state phase.
        memory = None
        if "memory" in phases:
            def run_memory():
                try:
                    phase_memory(args, res, errlog)
                except Exception as e:  # reported, not fatal to the other phases
                    res["memory_error"] = repr(e)
                    log(f"memory phase failed: {e!r}")
            memory = threading.Thread(target=run_memory)
        if "steady" in phases:
            running = start_running(args, res)
            res["foreign_domains"] = foreign_domains()
            if memory:
                memory.start()
            phase_steady_and_latency(args, res, running)
        elif memory:
            memory.start()
        if memory:
            memory.join()
    finally:
        t0 = time.monotonic()
        cleanup()
        res["cleanup_seconds"] = time.monotonic() - t0
        res["total_seconds"] = time.monotonic() - t_start
        res["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(res, f, indent=1)
        md = report(res)
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(md)
        print(md)


if __name__ == "__main__":
    main()
