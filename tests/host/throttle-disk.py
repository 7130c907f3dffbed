#!/usr/bin/env python3
"""Makes a running guest a slow machine: once MARKER appears in its console
log, throttles every virtio disk's writes to BYTES_PER_SEC through QEMU's
QMP socket (QEMU started with SW_QEMU_ARGS='-qmp unix:SOCKET,server=on,wait=off').
Used by the squeeze suite: its writers then take minutes, not seconds, to
fill their memory cgroup. Exits when done, or when the console stops
growing for TIMEOUT seconds (the guest ended first).

  throttle-disk.py CONSOLE_LOG SOCKET BYTES_PER_SEC MARKER [TIMEOUT]
"""
import json
import os
import socket
import sys
import time

console, sock, bps, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
timeout = int(sys.argv[5]) if len(sys.argv) > 5 else 600


def qmp(commands):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting
    out = []
    for c, args in commands:
        f.write(json.dumps({"execute": c, "arguments": args}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                out.append(r)
                break
    s.close()
    return out


last_size, last_change = -1, time.monotonic()
while True:
    try:
        size = os.path.getsize(console)
        with open(console, "rb") as f:
            seen = marker.encode() in f.read()
    except OSError:
        size, seen = -1, False
    if seen:
        break
    if size != last_size:
        last_size, last_change = size, time.monotonic()
    elif time.monotonic() - last_change > timeout:
        sys.exit(f"throttle-disk: no '{marker}' in {console}")
    time.sleep(1)
_, blocks = qmp([("qmp_capabilities", {}), ("query-block", {})])
disks = [b["device"] for b in blocks["return"] if b["device"].startswith("virtio")]
limits = {"bps": 0, "bps_rd": 0, "bps_wr": bps, "iops": 0, "iops_rd": 0, "iops_wr": 0}
res = qmp([("qmp_capabilities", {})] + [("block_set_io_throttle", dict(device=d, **limits)) for d in disks])
bad = [r for r in res if "error" in r]
if bad or not disks:
    sys.exit(f"throttle-disk: could not throttle {disks}: {bad}")
print(f"throttle-disk: writes of {', '.join(disks)} throttled to {bps} B/s")
