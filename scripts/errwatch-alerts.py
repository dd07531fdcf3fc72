#!/usr/bin/env python3
"""errwatch-alerts: an example notifier for errwatch's alert stream.

Reads `<prefix>alerts` with a consumer group, so every alert event is
handled once even with several notifiers, and none is lost when a notifier
dies: entries it read but never acknowledged are claimed back by the next
one after --claim-after seconds (XAUTOCLAIM). Each event is printed as one
JSON line, or POSTed as JSON to --webhook; it is acknowledged (XACK) only
after that succeeded. Plain Python 3 standard library, no Redis module.

  errwatch-alerts.py [--url redis://127.0.0.1:6379/0 | unix:///path?db=0]
                     [--prefix errwatch:] [--group ops] [--consumer NAME]
                     [--webhook URL] [--once] [--claim-after 60]
"""
import argparse
import json
import os
import socket
import sys
import urllib.parse
import urllib.request


class Redis:
    """Just enough RESP2 for XGROUP, XREADGROUP, XAUTOCLAIM and XACK."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        q = urllib.parse.parse_qs(u.query)
        if u.scheme == "unix":
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(u.path)
            db = int(q.get("db", ["0"])[0])
        elif u.scheme == "redis":
            self.sock = socket.create_connection(
                (u.hostname or "127.0.0.1", u.port or 6379))
            db = int((u.path or "/0").lstrip("/") or 0)
        else:
            raise SystemExit("errwatch-alerts: unsupported url " + url)
        self.f = self.sock.makefile("rb")
        if u.password:
            if u.username:
                self.call("AUTH", urllib.parse.unquote(u.username),
                          urllib.parse.unquote(u.password))
            else:
                self.call("AUTH", urllib.parse.unquote(u.password))
        if db:
            self.call("SELECT", str(db))

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)


def entries(reply):
    """[[id, [k, v, k, v]], ...] -> [(id, {k: v})]; deleted entries skipped."""
    out = []
    for item in reply or []:
        if item is None or item[1] is None:
            continue
        fields = item[1]
        out.append((item[0], dict(zip(fields[0::2], fields[1::2]))))
    return out


def deliver(event, webhook):
    body = json.dumps(event, sort_keys=True)
    if not webhook:
        print(body, flush=True)
        return
    req = urllib.request.Request(webhook, data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        if resp.status >= 300:
            raise RuntimeError("webhook answered %d" % resp.status)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default=os.environ.get(
        "ERRWATCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--prefix", default="errwatch:")
    ap.add_argument("--group", default="ops")
    ap.add_argument("--consumer", default=socket.gethostname())
    ap.add_argument("--webhook", default="")
    ap.add_argument("--claim-after", type=int, default=60)
    ap.add_argument("--once", action="store_true",
                    help="handle what is there now, then exit")
    a = ap.parse_args()
    r = Redis(a.url)
    stream = a.prefix + "alerts"
    try:
        # From the start of the stream, so alerts raised before the first
        # notifier ran are not missed.
        r.call("XGROUP", "CREATE", stream, a.group, "0", "MKSTREAM")
    except RuntimeError as e:
        if "BUSYGROUP" not in str(e):
            raise
    while True:
        # Entries another consumer read and never acknowledged first.
        claimed = r.call("XAUTOCLAIM", stream, a.group, a.consumer,
                         str(a.claim_after * 1000), "0-0", "COUNT", "100")
        batch = entries(claimed[1])
        reply = r.call("XREADGROUP", "GROUP", a.group, a.consumer,
                       "COUNT", "100", "BLOCK", "1000" if a.once else "5000",
                       "STREAMS", stream, ">")
        if reply:
            batch += entries(reply[0][1])
        for entry_id, event in batch:
            deliver(event, a.webhook)
            r.call("XACK", stream, a.group, entry_id)
        if a.once and not batch:
            return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
