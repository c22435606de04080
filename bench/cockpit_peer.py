# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cockpit's framed channel protocol, the side cockpit-ws plays: for the benchmarks.

A Peer spawns a process that speaks the protocol on stdin/stdout (the helper itself with
--cockpit-peer, or cockpit-bridge), does the init handshake, answers every channel `ping` with a
`pong` (cockpit.js flow control), and hands out every other frame with its arrival time
(time.monotonic()) on a queue per channel. A frame is `<len>\\n<channel>\\n<payload>`, len in bytes
of everything after the first newline; control messages travel on channel "" and are filed
under their own "channel" field.
"""

import json
import os
import queue
import subprocess
import threading
import time


def frame(channel, payload):
    body = channel.encode() + b"\n" + payload
    return str(len(body)).encode() + b"\n" + body


class Peer:
    def __init__(self, argv, env=None, stderr=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr if stderr is not None else subprocess.DEVNULL,
                                     env={**os.environ, **(env or {})}, bufsize=0)
        self.queues = {}
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.bytes_in = 0
        self.next_id = 1
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        init = self.next("", lambda m: m["command"] == "init", 30)
        self.init = init
        self.control({"command": "init", "version": 1, "host": "localhost"})

    @property
    def pid(self):
        return self.proc.pid

    def _queue(self, channel):
        with self.lock:
            return self.queues.setdefault(channel, queue.Queue())

    def _read(self):
        fd = self.proc.stdout.fileno()
        buf = b""
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            now = time.monotonic()
            self.bytes_in += len(chunk)
            buf = buf + chunk if buf else chunk
            pos = 0  # parse by offset; copy the unparsed tail once per chunk, not once per frame
            while True:
                nl = buf.find(b"\n", pos)
                if nl < 0:
                    break
                length = int(buf[pos:nl])
                if len(buf) < nl + 1 + length:
                    break
                cnl = buf.index(b"\n", nl + 1)
                channel = buf[nl + 1:cnl].decode()
                payload = buf[cnl + 1:nl + 1 + length]
                pos = nl + 1 + length
                self._file(channel, payload, now, length)
            buf = buf[pos:]
        for q in list(self.queues.values()):
            q.put(None)
        self._queue("").put(None)

    def _file(self, channel, payload, now, length):
        if channel == "":
            msg = json.loads(payload)
            command = msg.get("command")
            channel = msg.get("channel", "")
            if command == "ping" and channel:
                self.control({**msg, "command": "pong"})
                return
            item = {"command": command, "control": msg, "t": now, "len": length}
        else:
            item = {"command": None, "raw": payload, "t": now, "len": length}
        self._queue(channel).put(item)

    def write(self, data):
        with self.write_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def control(self, obj):
        self.write(frame("", json.dumps(obj).encode()))

    def open(self, **options):
        channel = f"1:{self.next_id}"
        self.next_id += 1
        self._queue(channel)
        self.control({"command": "open", "channel": channel, "flow-control": True, **options})
        return channel, time.monotonic()

    def close(self, channel):
        self.control({"command": "close", "channel": channel})

    def next(self, channel, predicate=lambda m: True, timeout=60):
        """The next message on `channel` for which predicate(m) holds; earlier ones are dropped."""
        q = self._queue(channel)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"nothing on channel {channel!r} within {timeout} s")
            try:
                m = q.get(timeout=left)
            except queue.Empty:
                raise TimeoutError(f"nothing on channel {channel!r} within {timeout} s") from None
            if m is None:
                q.put(None)
                raise EOFError(f"the peer exited (status {self.proc.poll()}) while waiting on {channel!r}")
            if predicate(m):
                return m

    def data(self, channel, timeout=60):
        """The next data message of `channel`, parsed; raises on its close."""
        m = self.next(channel, lambda m: m["command"] in (None, "close"), timeout)
        if m["command"] == "close":
            raise RuntimeError(f"channel {channel} closed: {m['control']}")
        return json.loads(m["raw"]), m["t"]

    def watch_until_synced(self, uri, timeout=300, **extra):
        """Opens a watch and waits for its first `synced`.

        Returns (channel, seconds from writing the open to the arrival of `synced`, VM count, bytes
        of the channel's frames). Messages are only parsed after `synced` has arrived, so the
        driver's own JSON parsing does not compete with the helper while the clock runs."""
        channel, t0 = self.open(payload="virt1", op="watch", uri=uri, **extra)
        raws = []
        nbytes = 0
        while True:
            m = self.next(channel, lambda m: m["command"] in (None, "close"), timeout)
            if m["command"] == "close":
                raise RuntimeError(f"watch {uri} closed: {m['control']}")
            nbytes += m["len"]
            raws.append(m["raw"])
            if m["raw"].startswith(b'{"synced"'):
                elapsed = m["t"] - t0
                break
        vms = set()
        for raw in raws:
            msg = json.loads(raw)
            if msg.get("reset"):
                vms.clear()
            for k, v in (msg.get("vms") or {}).items():
                if v is None:
                    vms.discard(k)
                else:
                    vms.add(k)
        return channel, elapsed, len(vms), nbytes

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def proc_status(pid, *fields):
    """Fields of /proc/<pid>/status in KiB (VmHWM, VmRSS, …)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in fields:
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid):
    """utime + stime of a whole process (exited threads included), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
