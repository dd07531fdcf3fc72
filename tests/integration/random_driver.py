"""Randomized exactly-once check (SPEC §6, §8), driven by once_random.sh.

One errwatchd and one redis-server (appendonly yes, appendfsync always:
Redis loses nothing acknowledged, so the model needs no WIPED case) live
through a run of short sequences. Each sequence is a few random steps,
then a sync: a bounded poll until count:total equals the model, and a
check that every file's stored offset is its size minus its held partial
line. Steps:

  write      complete lines to a base file (created when missing)
  partial    half a line, no newline: the code is in the first half, so
             it counts as that class whether its newline comes (the rest
             is written by the next write to that file) or the file is
             rotated or deleted first (SPEC §6: counted after rotate_wait)
  rename     rotation: f0.log -> f0.log.N (still under the glob)
  copytrunc  cp f0.log f0.log.N, then truncate f0.log (the writer is this
             process, so it is paused meanwhile)
  delete     unlink a file
  kill       SIGKILL errwatchd and start it again
  redis      SIGKILL redis-server and start it again on its AOF

The model counts every complete line written, and each partial line once:
at its newline, or at the rename / copytruncate / delete that ends its
file. What the daemon cannot know is kept out of the model by the step
rules, each from SPEC §6/§8's own conditions:
  - delete, copytruncate, and rename of a file with a partial line only
    once the daemon has had the file open for a while (it has been up,
    and the file has existed, for AGE_S): a file it never saw cannot be
    read to its end, its copy cannot be recognised, and a renamed file it
    never saw being rotated is just another active file to it;
  - copytruncate of a file with a partial line only once the daemon has
    been up, and the partial line written, for AGE_S: a copy is known by
    the fingerprint of bytes read through the original (SPEC §6), so a
    copy of a file in which the daemon has read nothing (truncated just
    before, then half a line) is a new file to it, and its partial line
    waits for a newline that never comes;
  - no kill between such a step and the next sync: the deleted file, the
    copy's head and the rotated partial line live only in that daemon's
    memory until the sync shows them acknowledged (SPEC §8: "as long as
    the rotated file still exists under a followed path").

Replay: ERRWATCH_RANDOM_SEED=<seed printed at start>; more sequences:
ERRWATCH_RANDOM_SEQS=<n>.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

AGE_S = 1.3
CLASSES = [("461", "Punishment"), ("473", "ServiceUnavailable"),
           ("500", "InternalError"), ("401", "AuthFailure")]
BASES = ["f0.log", "f1.log", "f2.log"]


class Env:
    def __init__(self):
        self.t = os.environ["T"]
        self.logs = os.environ["LOGS"]
        self.sock = os.environ["SOCK"]
        self.cfg = os.environ["CFG"]
        self.bin = os.environ["EW_BIN"]
        self.dlog = open(os.path.join(self.t, "daemon.log"), "ab")
        self.daemon = None
        self.daemon_since = 0.0
        self.starts = 0

    # --- redis ---------------------------------------------------------
    def rc(self, *args):
        return subprocess.run(["redis-cli", "-s", self.sock, "--raw"] +
                              list(args), capture_output=True,
                              text=True).stdout

    def start_redis(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        subprocess.run(["redis-server", "--port", "0", "--unixsocket",
                        self.sock, "--unixsocketperm", "700", "--save", "",
                        "--appendonly", "yes", "--appendfsync", "always",
                        "--dir", self.t, "--daemonize", "yes", "--pidfile",
                        os.path.join(self.t, "redis.pid"), "--logfile",
                        os.path.join(self.t, "redis.log")], check=True)
        poll(lambda: self.rc("PING").strip() == "PONG", 5, "redis start")

    def kill_redis(self):
        pid = int(open(os.path.join(self.t, "redis.pid")).read())
        os.kill(pid, signal.SIGKILL)
        poll(lambda: not alive(pid), 5, "redis death")

    # --- errwatchd -----------------------------------------------------
    def loaded_lines(self):
        with open(os.path.join(self.t, "daemon.log"), "rb") as f:
            return f.read().count(b"stored offsets loaded")

    def start_daemon(self):
        want = self.loaded_lines() + 1
        self.daemon = subprocess.Popen([self.bin, "-c", self.cfg],
                                       stdout=self.dlog, stderr=self.dlog)
        with open(os.path.join(self.t, "daemon.pid"), "w") as f:
            f.write("%d\n" % self.daemon.pid)
        poll(lambda: self.loaded_lines() >= want, 10, "daemon start")
        self.daemon_since = time.monotonic()
        self.starts += 1

    def kill_daemon(self):
        if self.daemon is not None:
            self.daemon.kill()
            self.daemon.wait()
            self.daemon = None

    def check_daemon(self):
        if self.daemon.poll() is not None:
            raise Fail("errwatchd exited %d" % self.daemon.returncode)


class Fail(Exception):
    pass


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def poll(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.01)
    raise Fail("timed out waiting for " + what)


class Model:
    def __init__(self, env, rng):
        self.env = env
        self.rng = rng
        self.counts = {name: 0 for _, name in CLASSES}
        self.files = {}      # name -> {"born": t, "partial": (cls, rest)}
        self.serial = 0
        self.dirty = False   # a step that forbids a kill until the sync
        self.seq = 0

    def path(self, name):
        return os.path.join(self.env.logs, name)

    def seen_by_daemon(self, name):
        now = time.monotonic()
        return (now - max(self.files[name]["born"],
                          self.env.daemon_since) >= AGE_S)

    def line(self, cls):
        code, name = CLASSES[cls]
        self.serial += 1
        head = "ts=%d level=error code=%s " % (time.time_ns(), code)
        return head, "name=%s n=%d\n" % (name, self.serial)

    def append(self, name, data):
        fd = os.open(self.path(name), os.O_WRONLY | os.O_APPEND |
                     os.O_CREAT, 0o644)
        os.write(fd, data.encode())
        os.close(fd)

    def touch(self, name):
        if name not in self.files:
            self.files[name] = {"born": time.monotonic(), "partial": None}

    def end_partial(self, name):
        p = self.files[name]["partial"]
        if p is not None:
            self.counts[CLASSES[p[0]][1]] += 1
            self.files[name]["partial"] = None
            return True
        return False

    # --- steps ---------------------------------------------------------
    def step_write(self):
        name = self.rng.choice(BASES)
        self.touch(name)
        out = []
        p = self.files[name]["partial"]
        if p is not None:          # its newline comes now
            out.append(p[1])
            self.end_partial(name)
        for _ in range(self.rng.randint(1, 40)):
            cls = self.rng.randrange(len(CLASSES))
            head, rest = self.line(cls)
            out.append(head + rest)
            self.counts[CLASSES[cls][1]] += 1
        if self.rng.random() < 0.2:  # noise that matches nothing
            out.append("ts=%d level=info msg=ok dur_ms=473\n" % time.time_ns())
        self.append(name, "".join(out))
        return "write %s" % name

    def step_partial(self):
        name = self.rng.choice(BASES)
        self.touch(name)
        if self.files[name]["partial"] is not None:
            return None
        cls = self.rng.randrange(len(CLASSES))
        head, rest = self.line(cls)
        self.append(name, head)
        self.files[name]["partial"] = (cls, rest)
        self.files[name]["pborn"] = time.monotonic()
        return "partial %s" % name

    def rotated_name(self, name):
        self.serial += 1
        return "%s.%d" % (name, self.serial)

    def step_rename(self):
        have = [b for b in BASES if b in self.files]
        if not have:
            return None
        name = self.rng.choice(have)
        if self.files[name]["partial"] is not None:
            if not self.seen_by_daemon(name) or self.env.daemon is None:
                return None
            self.dirty = True
        to = self.rotated_name(name)
        os.rename(self.path(name), self.path(to))
        self.files[to] = self.files.pop(name)
        self.end_partial(to)
        return "rename %s %s" % (name, to)

    def partial_seen(self, name):
        f = self.files[name]
        return (f["partial"] is None or time.monotonic() -
                max(f["pborn"], self.env.daemon_since) >= AGE_S)

    def step_copytrunc(self):
        have = [b for b in BASES if b in self.files and
                os.path.getsize(self.path(b)) > 0 and
                self.seen_by_daemon(b) and self.partial_seen(b)]
        if not have or self.env.daemon is None:
            return None
        name = self.rng.choice(have)
        to = self.rotated_name(name)
        shutil.copyfile(self.path(name), self.path(to))
        os.truncate(self.path(name), 0)
        # the copy is a new file: the daemon must find it before it may go
        self.files[to] = {"born": time.monotonic(), "partial": None}
        self.files[to]["partial"] = self.files[name]["partial"]
        self.files[name]["partial"] = None
        self.end_partial(to)
        self.dirty = True
        return "copytruncate %s %s" % (name, to)

    def step_delete(self):
        have = [n for n in self.files if self.seen_by_daemon(n)]
        if not have or self.env.daemon is None:
            return None
        name = self.rng.choice(sorted(have))
        os.unlink(self.path(name))
        self.end_partial(name)
        del self.files[name]
        self.dirty = True
        return "delete %s" % name

    def step_kill(self):
        if self.dirty:
            self.sync()
        self.env.kill_daemon()
        if self.rng.random() < 0.3:    # lines written while it is dead
            self.step_write()
        self.env.start_daemon()
        return "kill daemon"

    def step_redis(self):
        self.env.kill_redis()
        if self.rng.random() < 0.5:
            self.step_write()
        self.env.start_redis()
        return "restart redis"

    STEPS = [("write", 45), ("partial", 10), ("rename", 10),
             ("copytrunc", 6), ("delete", 6), ("kill", 4), ("redis", 3)]

    def step(self):
        names = [s for s, _ in self.STEPS]
        weights = [w for _, w in self.STEPS]
        while True:
            s = self.rng.choices(names, weights)[0]
            r = getattr(self, "step_" + s)()
            if r is not None:
                return r

    # --- the check -----------------------------------------------------
    def redis_counts(self):
        raw = self.env.rc("HGETALL", "errwatch:count:total").split("\n")
        got = {raw[i]: raw[i + 1] for i in range(0, len(raw) - 1, 2)}
        if not all(v.isdigit() for v in got.values()):
            return None    # Redis restarting: no answer yet
        return {name: int(got.get(name, 0)) for _, name in CLASSES}

    def offsets_ok(self):
        raw = self.env.rc("HGETALL", "errwatch:offsets:testhost").split("\n")
        stored = {raw[i]: raw[i + 1] for i in range(0, len(raw) - 1, 2)}
        bad = []
        for name, f in self.files.items():
            st = os.stat(self.path(name))
            want = st.st_size
            if f["partial"] is not None:   # held until its newline
                want -= self.partial_len(name)
            field = "%d:%d" % (st.st_dev, st.st_ino)
            try:
                got = int(stored[field].split(" ")[0])
            except (KeyError, ValueError):
                got = -1
            if got != want and not (got == -1 and want == 0):
                bad.append("%s: stored %d, want %d" % (name, got, want))
        return bad

    def partial_len(self, name):
        with open(self.path(name), "rb") as f:
            data = f.read()
        return len(data) - (data.rfind(b"\n") + 1)

    def sync(self):
        def ok():
            self.env.check_daemon()
            return self.redis_counts() == self.counts and not self.offsets_ok()
        try:
            poll(ok, 15, "exact counts")
        except Fail:
            raise Fail("counts %s, model %s; offsets: %s" %
                       (self.redis_counts(), self.counts, self.offsets_ok()))
        self.dirty = False


def main():
    seed = int(os.environ.get("ERRWATCH_RANDOM_SEED") or
               random.SystemRandom().randrange(1 << 32))
    seqs = int(os.environ.get("ERRWATCH_RANDOM_SEQS") or 200)
    print("random_driver: seed %d, %d sequences "
          "(replay: ERRWATCH_RANDOM_SEED=%d)" % (seed, seqs, seed),
          flush=True)
    rng = random.Random(seed)
    env = Env()
    m = Model(env, rng)
    hist = []
    kills = redis_restarts = 0
    t0 = time.monotonic()
    try:
        env.start_redis()
        env.start_daemon()
        for s in range(seqs):
            m.seq = s
            for _ in range(rng.randint(3, 6)):
                what = m.step()
                hist.append("%d: %s" % (s, what))
                kills += what == "kill daemon"
                redis_restarts += what == "restart redis"
            m.sync()
    except Exception as e:     # a driver error is reported the same way
        print("FAIL: seed %d, sequence %d: %s: %s" %
              (seed, m.seq, type(e).__name__, e))
        print("last steps:\n  " + "\n  ".join(hist[-25:]))
        return 1
    finally:
        env.kill_daemon()
    print("random_driver: %d sequences, %d steps, %d daemon kills, "
          "%d redis restarts, %d lines, %.1f s: exact" %
          (seqs, len(hist), kills, redis_restarts, sum(m.counts.values()),
           time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
