"""Steady log writer for the integration scenarios: appends `total` lines
of `code name` to `path` at `rate` lines/s, one write() per line, and with
--rotate K renames the file to <stem>.<n>.log every K lines (the rotated
name still matches *.log, SPEC §8) and goes on in a new file. Exits once
all lines are written; the caller's expected count is exactly `total`."""
import argparse
import os
import time

ap = argparse.ArgumentParser()
ap.add_argument("path")
ap.add_argument("total", type=int)
ap.add_argument("--rate", type=float, default=2000.0)
ap.add_argument("--rotate", type=int, default=0)
ap.add_argument("--code", default="461")
ap.add_argument("--name", default="Punishment")
a = ap.parse_args()

stem = a.path[:-4] if a.path.endswith(".log") else a.path
fd = os.open(a.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
t0 = time.monotonic()
rot = 0
for i in range(a.total):
    if a.rotate and i > 0 and i % a.rotate == 0:
        rot += 1
        os.rename(a.path, "%s.%d.log" % (stem, rot))
        os.close(fd)
        fd = os.open(a.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"ts=%d level=error code=%s name=%s seq=%d\n" %
             (time.time_ns(), a.code.encode(), a.name.encode(), i))
    ahead = (i + 1) / a.rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
os.close(fd)
