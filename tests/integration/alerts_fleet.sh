# SPEC §13 end to end: ten real errwatchd (h0..h9), each under its own
# Punishment threshold, together over the fleet rule, and two
# errwatch-alerts: exactly one fleet alert (host fleet, scope fleet) and
# no host alert, raised by the lease holder only; the holder is killed
# and the other takes the lease within 15 s; then h9 stops, and
# ErrwatchHostSilent fires for it after silent_after and resolves when h9
# writes again. Both alerts reach the webhook.
. "$(dirname "$0")/lib.sh"

start_redis
start_receiver
host_cfg() {	# HOST: a config of its own, logs in $LOGS/HOST
	mkdir -p "$LOGS/$1"
	cat > "$T/$1.yaml" <<YAML
host: $1
table: $EW_SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: 200ms
inputs:
  - paths: ["$LOGS/$1/*.log"]
    start_at: beginning
alerts:
  rules:
    - {match: Punishment, threshold: 50, window: 20s, severity: critical}
    - {match: "category:success", enabled: false}
  fleet:
    rules:
      - {match: Punishment, threshold: 100, window: 20s, severity: critical}
delivery:
  alertmanager: []
  webhooks: [{url: "http://127.0.0.1:$RPORT/hook"}]
  silent_after: 15s
YAML
}
declare -A HPID
start_host() {
	"$EW_BIN" -c "$T/$1.yaml" >> "$T/$1.log" 2>&1 &
	HPID[$1]=$!
	EXTRA_PIDS="$EXTRA_PIDS ${HPID[$1]}"
	wait_for 400 0.05 grep -q "stored offsets loaded" "$T/$1.log" ||
		fail "errwatchd $1 did not start"
}
HOSTS="h0 h1 h2 h3 h4 h5 h6 h7 h8 h9"
for h in $HOSTS; do
	host_cfg $h
	: > "$LOGS/$h/game.log"
	start_host $h
done
start_alerts "$T/h0.yaml"
A1=$APID
start_alerts "$T/h1.yaml"
A2=$APID
leased() {
	[ -n "$(rc GET errwatch:lease:fleet)" ]
}
got() {	# PATTERN: the webhook got at least one request matching it
	[ "$(received "$1")" -ge 1 ]
}
wait_for 150 0.1 leased || fail "no lease holder"

holder=$(rc GET errwatch:lease:fleet)
case $holder in *-"$A1" | *-"$A2") ;; *) fail "lease holder $holder" ;; esac

# 12 lines on each host: 120 over the fleet (>= 100), 12 on each (< 50).
for h in $HOSTS; do
	burst 12 461 Punishment "$h-" >> "$LOGS/$h/game.log"
done
expect_count Punishment 120
fleet_firing() {
	[ -n "$(rc HGET errwatch:alerts:active Punishment@fleet)" ]
}
wait_for 300 0.1 fleet_firing || fail "no fleet alert within 30 s"
active=$(rc HGET errwatch:alerts:active Punishment@fleet)
case $active in *'"host":"fleet"'*'"rule":"static","match":"Punishment"'*'"scope":"fleet"}') ;;
*) fail "fleet alert: $active" ;; esac
[ "$(rc HLEN errwatch:alerts:active)" = 1 ] ||
	fail "host alerts too: $(rc HKEYS errwatch:alerts:active | tr '\n' ' ')"
wait_for 100 0.1 got '"/hook".*Punishment.*fleet' ||
	fail "the fleet alert did not reach the webhook"
n=$(rc XRANGE errwatch:alerts - + | grep -A1 -x host | grep -cx fleet || true)
[ "$n" = 1 ] || fail "$n fleet entries in the stream, want 1 (one holder)"

# The holder dies without a word: the other takes the lease within 15 s
# and adopts the firing fleet alert without firing it again.
case $holder in *-"$A1") dead=$A1 ;; *) dead=$A2 ;; esac
kill -9 "$dead"
t0=$(date +%s)
moved() {
	local now
	now=$(rc GET errwatch:lease:fleet)
	[ -n "$now" ] && [ "$now" != "$holder" ]
}
wait_for 200 0.1 moved || fail "the lease did not move within 20 s"
echo "lease moved $(( $(date +%s) - t0 )) s after the holder died"
[ $(( $(date +%s) - t0 )) -le 15 ] || fail "the lease took more than 15 s"

# h9 stops: silent after 15 s (its last heartbeat is at most 10 s older
# than its last flush), resolved once it writes again.
kill -TERM "${HPID[h9]}"
wait "${HPID[h9]}" || fail "errwatchd h9 exited $? on SIGTERM"
silent() {
	[ -n "$(rc HGET errwatch:alerts:active HostSilent@h9)" ]
}
wait_for 400 0.1 silent || fail "h9 not reported silent within 40 s"
case $(rc HGET errwatch:alerts:active HostSilent@h9) in
*'"name":"HostSilent"'*'"host":"h9","rule":"silent"'*'"scope":"host"}') ;;
*) fail "silent alert: $(rc HGET errwatch:alerts:active HostSilent@h9)" ;; esac
n=$(rc XRANGE errwatch:alerts - + | grep -A1 -x host | grep -cx fleet || true)
[ "$n" = 1 ] || fail "the new holder fired the fleet alert again ($n)"
for h in h0 h1 h2 h3 h4 h5 h6 h7 h8; do
	[ "$(rc HEXISTS errwatch:alerts:active HostSilent@$h)" = 0 ] ||
		fail "$h reported silent while writing"
done
wait_for 100 0.1 got '"/hook".*HostSilent' ||
	fail "HostSilent did not reach the webhook"
start_host h9
burst 1 200 Success back >> "$LOGS/h9/game.log"
wait_for 200 0.1 bash -c "! redis-cli -s '$SOCK' HEXISTS errwatch:alerts:active HostSilent@h9 | grep -qx 1" ||
	fail "HostSilent@h9 not resolved after h9 came back"
n=$(rc XRANGE errwatch:alerts - + | grep -cx HostSilent || true)
[ "$n" = 2 ] || fail "HostSilent events: $n, want firing and resolved"
echo "alerts_fleet: all passed"
