# errwatch-alerts end to end (SPEC §13) with Debian's Alertmanager on
# loopback, run with config/alertmanager.yml as written: a Punishment
# burst in a real log followed by a real errwatchd fires; the receiver
# gets a "firing" notification with every label and annotation of SPEC
# §13, field by field, then "resolved"; Alertmanager's API shows endsAt
# about 4 x resend ahead while it fires. Measures the latency from the
# crossing line to the receiver, and from the event entering P alerts to
# Alertmanager's API showing it (SPEC §13: within 1 s).
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
start_redis
start_receiver
start_alertmanager
write_config
cat >> "$CFG" <<YAML
alerts:
  rules:
    - {match: Punishment, threshold: 20, window: 5s, severity: critical}
    - {match: "category:success", enabled: false}
delivery:
  alertmanager: ["http://127.0.0.1:$AMPORT/"]
  resend: 5s
  runbook_url: "https://wiki.example/runbooks/{name}?code={code}&host={host}"
  dashboard_url: "http://ops.example:8080/class/{name}"
YAML
: > "$LOGS/game.log"
start_daemon
start_alerts

# am_alerts: Alertmanager's view, one line per alert: state endsAt labels.
am_alerts() {
	curl -sf "http://127.0.0.1:$AMPORT/api/v2/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    print(a["status"]["state"], a["endsAt"], json.dumps(a["labels"], sort_keys=True))'
}
am_shows_punishment() {
	am_alerts | grep -q '"class": "Punishment"'
}

for i in $(seq 1 19); do line 461 Punishment "b$i"; done >> "$LOGS/game.log"
expect_count Punishment 19
# One poller, every 10 ms, for the two figures: when Alertmanager's API
# first shows the alert, and when the receiver first has the firing
# notification (bounded: 10 s). It is running before the line is written.
python3 - "http://127.0.0.1:$AMPORT/api/v2/alerts" "$T/recv.log" \
    "$T/poller.ready" > "$T/seen" <<'PY' &
import json, sys, time, urllib.request
t_am = t_r = None
open(sys.argv[3], "w").close()
end = time.time() + 15
while (t_am is None or t_r is None) and time.time() < end:
    if t_am is None:
        with urllib.request.urlopen(sys.argv[1]) as r:
            if any(a["labels"].get("class") == "Punishment"
                   for a in json.load(r)):
                t_am = int(time.time() * 1000)
    if t_r is None:
        for l in open(sys.argv[2]):
            r = json.loads(l)
            if r["path"] == "/alertmanager" and \
                    json.loads(r["body"])["status"] == "firing":
                t_r = int(time.time() * 1000)
    time.sleep(0.01)
print(t_am, t_r)
sys.exit(0 if t_am and t_r else 1)
PY
poller=$!
wait_for 100 0.05 test -f "$T/poller.ready" || fail "poller did not start"
t0=$(date +%s%3N)
line 461 Punishment cross >> "$LOGS/game.log"
wait "$poller" || fail "no firing alert in Alertmanager or receiver"
read -r t_am t_r < "$T/seen"
# The entry's id is the time it entered the stream.
id=$(rc XRANGE errwatch:alerts - + COUNT 1 | head -n 1)
t_x=${id%-*}
echo "figure: event in P alerts -> Alertmanager's API shows it:" \
    "$((t_am - t_x)) ms (SPEC §13: within 1 s)"
echo "figure: crossing line -> receiver's notification: $((t_r - t0)) ms" \
    "(errwatchd's detection, group_wait 1s)"
notes_are firing 1 || fail "$(notes firing) firing notifications"

# The notification, field by field, against the stream entry.
rc --raw XRANGE errwatch:alerts - + COUNT 1 > "$T/entry"
python3 - "$T/recv.log" "$T/entry" <<'PY' || fail "firing notification"
import datetime, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
notes = [json.loads(r["body"]) for r in recs if r["path"] == "/alertmanager"]
note = [n for n in notes if n["status"] == "firing"][0]
raw = open(sys.argv[2]).read().split("\n")[1:]
e = {raw[i]: raw[i + 1] for i in range(0, len(raw) - 1, 2)}
assert len(note["alerts"]) == 1, note
a = note["alerts"][0]
want_labels = {
    "alertname": "ErrwatchErrorSpike", "class": "Punishment",
    "code": "461", "category": "account", "severity": "critical",
    "scope": "host", "host": "testhost", "rule": e["rule"],
    "source": "errwatch",
}
assert a["labels"] == want_labels, (a["labels"], want_labels)
assert e["count"] == "20", e
def num(v):
    f = float(v)
    return str(int(f)) if f == int(f) else ("%.3f" % f).rstrip("0")
want_ann = {
    "summary": "Punishment spike on testhost",
    "description": "461 Punishment: 20 in 5 s on testhost, baseline %s"
        % num(e["baseline"]),
    "count": "20", "baseline": num(e["baseline"]),
    "threshold": "20", "window_s": "5",
    "runbook_url": "https://wiki.example/runbooks/Punishment?code=461&host=testhost",
    "dashboard": "http://ops.example:8080/class/Punishment",
}
assert a["annotations"] == want_ann, (a["annotations"], want_ann)
assert a["generatorURL"] == "http://ops.example:8080/class/Punishment", a
starts = datetime.datetime.fromisoformat(a["startsAt"].replace("Z", "+00:00"))
assert round(starts.timestamp() * 1000) == int(e["ts"]), (a["startsAt"], e["ts"])
assert e["id"] not in json.dumps(a["labels"]), "the event id is a label"
print("firing notification: every label and annotation as SPEC §13 says")
PY

# While it fires, endsAt is about 4 x resend (20 s) ahead: re-sent every
# 5 s, so between 15 s and 20 s (plus a second of slack) from now.
ends=$(am_alerts | awk '/Punishment/ { print $2 }')
ahead=$(python3 -c "
import datetime, sys, time
e = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00'))
print(int(e.timestamp() - time.time()))" "$ends")
echo "endsAt $ends: ${ahead} s ahead (4 x resend = 20 s)"
[ "$ahead" -ge 14 ] && [ "$ahead" -le 21 ] || fail "endsAt ${ahead} s ahead"
am_alerts | grep -q '^active .*Punishment' || fail "not active in Alertmanager"

# Resolve: the window empties; errwatchd writes the resolve, errwatch-alerts
# sends endsAt = the resolve time, the receiver gets "resolved".
wait_for 200 0.1 notes_are resolved 1 ||
	fail "the receiver got no resolved notification"
python3 - "$T/recv.log" <<'PY' || fail "resolved notification"
import json, sys
notes = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
r = [n for n in notes if n["status"] == "resolved"][0]
assert r["alerts"][0]["labels"]["class"] == "Punishment", r
assert r["alerts"][0]["status"] == "resolved", r
print("resolved notification:", r["alerts"][0]["endsAt"])
PY
[ "$(notes firing)" = 1 ] || fail "firing notified $(notes firing) times"
wait_for 50 0.1 pending_is errwatch-alerts 0 || fail "events left pending"
[ "$(rc XLEN errwatch:alerts)" = 2 ] || fail "XLEN $(rc XLEN errwatch:alerts)"
stop_alerts
stop_daemon
echo "alerts_alertmanager: all passed"
