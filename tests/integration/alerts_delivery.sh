# errwatch-alerts' delivery to webhooks and its faults (SPEC §13), against
# a real redis-server and the test's own receiver (receiver.py): each
# event's JSON POSTed once per target with the configured headers, in
# stream order, values from the log escaped; a stream entry that is not
# an event logged and acked; a 4xx logged with its reply and acked; an
# unreachable URL and a target that never answers keep their events
# pending, log once, and the program keeps running; SIGHUP to a good
# config delivers them, to a bad one keeps the old; SIGKILL between
# reading and acking, then a restart: every event delivered, none lost;
# Redis restarted (its data gone): delivery goes on.
. "$(dirname "$0")/lib.sh"

start_redis
start_receiver
write_config
DEAD=$(free_port)

# config NAME GROUP WEBHOOKS: $T/NAME.yaml, errwatchd's config plus a
# delivery section with no Alertmanager.
config() {
	cp "$CFG" "$T/$1.yaml"
	cat >> "$T/$1.yaml" <<YAML
delivery:
  group: $2
  alertmanager: []
  webhooks: $3
YAML
}
hook() {
	echo "{url: \"http://127.0.0.1:$RPORT/$1\", headers: {X-Token: s3cret, X-Group: \"$2\"}}"
}

# Three events and one entry that is not an event; the third carries
# bytes from a log line that must come out escaped.
xadd_event firing Punishment h1 > /dev/null
rc XADD errwatch:alerts '*' bogus 1 > /dev/null
xadd_event resolved Punishment h1 > /dev/null
rc XADD errwatch:alerts '*' event firing id x name Kicked code 462 \
    category account severity warning host 'gw"<1>\' rule adaptive \
    scope host window_s 60 count 21 baseline 0.25 threshold 20 \
    ts 1764589446123 > /dev/null

# --- A: a good webhook and a 4xx one ---------------------------------------
config a a "[$(hook hook-a a), {url: \"http://127.0.0.1:$RPORT/status/400\"}]"
start_alerts "$T/a.yaml"
A=$APID
wait_for 100 0.1 pending_is a 0 || fail "group a: $(pending a) pending"
[ "$(received '"/hook-a"')" = 3 ] || fail "hook-a got $(received '"/hook-a"')"
[ "$(received '"/status/400"')" = 3 ] || fail "400 target got $(received '"/status/400"')"
python3 - "$T/recv.log" <<'PY' || fail "webhook bodies"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
a = [r for r in reqs if r["path"] == "/hook-a"]
bodies = [json.loads(r["body"]) for r in a]
assert [b["event"] for b in bodies] == ["firing", "resolved", "firing"], bodies
assert all(r["headers"]["X-Token"] == "s3cret" for r in a), a
assert all(r["headers"]["Content-Type"] == "application/json" for r in a)
k = bodies[2]
assert k["host"] == 'gw"<1>\\', k["host"]
assert k["code"] == 462 and k["count"] == 21 and k["baseline"] == 0.25, k
assert k["ts"] == 1764589446123 and k["threshold"] == 20, k
assert list(k) == ["event", "id", "name", "code", "category", "severity",
    "host", "rule", "scope", "window_s", "count", "baseline", "threshold",
    "ts"], list(k)
assert "\\u003c" in a[2]["body"], "'<' not escaped in the body"
print("webhook bodies: in stream order, headers sent, numbers as numbers")
PY
[ "$(grep -c 'is not an alert event' "$T/alerts.log")" = 1 ] ||
	fail "the bad entry was not logged once"
[ "$(grep -cF 'rejected an alert with 400: "status 400\u000a"; acknowledging it' \
    "$T/alerts.log")" = 3 ] || fail "the 4xx replies were not logged"

# --- B: an unreachable URL and a target that never answers ----------------
config b b "[{url: \"http://127.0.0.1:$DEAD/x\"}, {url: \"http://127.0.0.1:$RPORT/hang\"}]"
start_alerts "$T/b.yaml"
B=$APID
wait_for 100 0.1 grep -q "127.0.0.1:$DEAD/x: .*retrying with backoff" \
    "$T/alerts.log" || fail "the unreachable URL was not logged"
wait_for 100 0.1 received_is '"/hang"' 1 || fail "hang target not asked"
[ "$(pending b)" = 3 ] || fail "group b: $(pending b) pending, want 3"
kill -0 "$B" || fail "errwatch-alerts died"
[ "$(grep -c "127.0.0.1:$DEAD/x: .*retrying" "$T/alerts.log")" = 1 ] ||
	fail "the unreachable URL was logged more than once"
# One request at a time per target: the silent one holds its first.
[ "$(received '"/hang"')" = 1 ] || fail "hang target asked again"

# SIGHUP to a bad config: logged, the old one runs on.
config b-bad b "[{url: \"ftp://nowhere/\"}]"
cp "$T/b.yaml" "$T/b.keep"
cp "$T/b-bad.yaml" "$T/b.yaml"
kill -HUP "$B"
wait_for 50 0.1 grep -q "b.yaml:.*keeping the running config" \
    "$T/alerts.log" || fail "bad reload not logged"
kill -0 "$B" || fail "errwatch-alerts died on a bad reload"
# SIGHUP to a good one: the pending events go there.
config b b "[$(hook hook-b b)]"
kill -HUP "$B"
wait_for 100 0.1 pending_is b 0 || fail "group b: $(pending b) pending"
[ "$(received '"/hook-b"')" = 3 ] || fail "hook-b got $(received '"/hook-b"')"

# --- C: SIGKILL between reading and acking --------------------------------
config c c "[{url: \"http://127.0.0.1:$RPORT/hang-c\"}]"
start_alerts "$T/c.yaml"
C=$APID
wait_for 100 0.1 received_is '"/hang-c"' 1 || fail "hang-c not asked"
[ "$(pending c)" = 3 ] || fail "group c: $(pending c) pending"
kill -9 "$C"
wait "$C" 2>/dev/null || true
config c c "[$(hook hook-c c)]"
start_alerts "$T/c.yaml"
C=$APID
wait_for 100 0.1 pending_is c 0 || fail "group c: $(pending c) pending after the restart"
[ "$(received '"/hook-c"')" = 3 ] ||
	fail "after SIGKILL and restart hook-c got $(received '"/hook-c"'), want 3"
grep -q "took over 3 pending entries of .*, which no longer runs" \
    "$T/alerts.log" || fail "no take-over logged"

# --- Redis restarted, its data gone: the group comes back, delivery goes on.
kill_redis
start_redis
xadd_event firing Disconnected h2 > /dev/null
wait_for 150 0.1 received_is '"/hook-c"' 4 ||
	fail "no delivery after the Redis restart"
wait_for 100 0.1 pending_is c 0 || fail "group c: $(pending c) pending"
kill -0 "$A" && kill -0 "$B" || fail "an instance died"
for p in $A $B $C; do
	APID=$p
	stop_alerts
done
echo "alerts_delivery: all passed"
