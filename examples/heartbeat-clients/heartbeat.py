#!/usr/bin/env python3
"""Ping a Beacon heartbeat, optionally around a command. Standard library only.

    BEACON_PING_URL=https://beacon.example.com/ping/<uuid> BEACON_PING_KEY=hbk_... heartbeat.py
    BEACON_PING_URL=... BEACON_PING_KEY=... heartbeat.py pg_dump -f /backups/db.sql mydb

With a command: signals the start, runs it, then reports its exit status (0 = success) with the last 10,000
bytes of its output; start and finish share a run id, so Beacon records the run's duration. Exits with the
command's status. Pings retry briefly and never fail the job.
"""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid


def ping(suffix: str, body: bytes = b"") -> None:
    url = os.environ["BEACON_PING_URL"] + suffix
    headers = {"Authorization": "Bearer " + os.environ["BEACON_PING_KEY"]}
    for attempt in range(4):
        try:
            req = urllib.request.Request(url, data=body or None, headers=headers, method="POST" if body else "GET")
            with urllib.request.urlopen(req, timeout=10) as resp:
                resp.read()
            return
        except urllib.error.HTTPError as e:
            error = e
            if e.code < 500:  # a wrong key or URL: retrying will not help
                break
            time.sleep(attempt + 1)
        except Exception as e:  # noqa: BLE001 - a failed ping must never fail the job
            error = e
            time.sleep(attempt + 1)
    print(f"heartbeat: ping {suffix or '/'} failed: {error}", file=sys.stderr)


def main() -> int:
    for name in ("BEACON_PING_URL", "BEACON_PING_KEY"):
        if not os.environ.get(name):
            print(f"heartbeat: set {name}", file=sys.stderr)
            return 2
    if len(sys.argv) == 1:
        ping("")
        return 0
    rid = uuid.uuid4()
    ping(f"/start?rid={rid}")
    proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sys.stdout.buffer.write(proc.stdout)
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    ping(f"/{min(status, 255)}?rid={rid}", proc.stdout[-10_000:])
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
