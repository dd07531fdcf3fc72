"""Journal writer for the journal_* scenarios (SPEC §16): real journal
files, written by Debian's systemd-journal-remote from the export format.

Each batch is `per_batch` entries in journal-export-format (fields
__REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP, _BOOT_ID, _SYSTEMD_UNIT,
MESSAGE; entries separated by a blank line) piped into
`systemd-journal-remote --output=FILE -`. A run of journal-remote on an
existing output file appends to it, so running it once per batch keeps
the file growing while errwatchd reads it: that is what works here (a
long-running journal-remote on a FIFO buffers and writes in bursts,
which is no better). Entries cycle over the classes given with --class
(code:name), so the count of each class is exact; every --noise-th entry
carries no code, and with --other-unit every --other-every-th entry
belongs to another unit (its MESSAGE carries a code the test must never
count). --rotate-every B renames FILE to FILE's stem@<n>.journal after
every B batches, as journald's rotation does, and goes on in a new FILE.

The truth is written to --truth after every batch: one line per class,
"name count" (the other unit's entries under "other:<name>"), then
"entries N"; a batch is in the truth only once it is in the file.
"""
import argparse
import os
import subprocess
import sys
import time

REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT = "3c1f2a0e5d6b4c7d8e9f0a1b2c3d4e5f"

ap = argparse.ArgumentParser()
ap.add_argument("out", help="DIR/name.journal")
ap.add_argument("--batches", type=int, default=1)
ap.add_argument("--per-batch", type=int, default=100)
ap.add_argument("--interval", type=float, default=0.0)
ap.add_argument("--unit", default="game-gateway.service")
ap.add_argument("--class", dest="classes", action="append",
                default=[], help="code:name, cycled in order")
ap.add_argument("--noise", type=int, default=0)
ap.add_argument("--other-unit", default="")
ap.add_argument("--other-every", type=int, default=5)
ap.add_argument("--rotate-every", type=int, default=0)
ap.add_argument("--truth", default="")
ap.add_argument("--start-seq", type=int, default=0,
                help="first sequence number (a second writer's range)")
a = ap.parse_args()
classes = [c.split(":", 1) for c in (a.classes or ["461:Punishment"])]

truth = {}
entries = 0
seq = a.start_seq
rot = 0
if a.truth and os.path.exists(a.truth):
    for ln in open(a.truth):
        k, v = ln.split()
        if k == "entries":
            entries = int(v)
        else:
            truth[k] = int(v)


def write_truth():
    if not a.truth:
        return
    tmp = a.truth + ".tmp"
    with open(tmp, "w") as f:
        for k in sorted(truth):
            f.write("%s %d\n" % (k, truth[k]))
        f.write("entries %d\n" % entries)
    os.rename(tmp, a.truth)


for b in range(a.batches):
    if a.rotate_every and b > 0 and b % a.rotate_every == 0 and \
            os.path.exists(a.out):
        rot += 1
        stem = a.out[:-len(".journal")]
        os.rename(a.out, "%s@%06d-%d.journal" % (stem, rot, os.getpid()))
    chunks = []
    add = {}
    now = time.time_ns() // 1000
    # one boot: monotonic time must grow across runs as journald's does
    # (sd-journal orders files of one boot by it)
    mono = time.monotonic_ns() // 1000
    for i in range(a.per_batch):
        seq += 1
        unit = a.unit
        if a.other_unit and seq % a.other_every == 0:
            unit = a.other_unit
        if a.noise and seq % a.noise == 0:
            msg = "seq=%d all well, nothing to count" % seq
            key = None
        else:
            code, name = classes[seq % len(classes)]
            msg = "ts=%d level=error code=%s name=%s seq=%d" % (
                now + i, code, name, seq)
            key = name if unit == a.unit else "other:" + name
        if key is not None:
            add[key] = add.get(key, 0) + 1
        if unit == a.unit:
            add["unit_entries"] = add.get("unit_entries", 0) + 1
        chunks.append(
            "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n"
            "_BOOT_ID=%s\n_SYSTEMD_UNIT=%s\nSYSLOG_IDENTIFIER=game\n"
            "MESSAGE=%s\n\n" % (now + i, mono + i, BOOT, unit, msg))
    p = subprocess.run([REMOTE, "--output=" + a.out, "-"],
                       input="".join(chunks).encode(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode())
        sys.exit("journal-remote failed: %d" % p.returncode)
    for k, v in add.items():
        truth[k] = truth.get(k, 0) + v
    entries += a.per_batch
    write_truth()
    if a.interval:
        time.sleep(a.interval)
write_truth()
