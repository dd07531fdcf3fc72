# /metrics scraped by a real Prometheus (SPEC §14): Debian's prometheus,
# started here on loopback with a temporary storage dir, scrapes
# errwatch-web; its query API then returns errwatch_lines_total equal to
# Redis's count:total for every class, the hosts' counters and the
# firing alert.
. "$(dirname "$0")/lib.sh"

: "${EW_WEB_BIN:?EW_WEB_BIN: path of errwatch-web}"
command -v prometheus >/dev/null || skip "prometheus is not installed"
command -v curl >/dev/null || skip "curl is not installed"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start_redis
write_config
cat >> "$CFG" <<YAML
alerts:
  rules:
    - {match: Punishment, threshold: 20, window: 60s, severity: critical}
YAML
start_daemon
for i in $(seq 1 25); do line 461 Punishment "p$i"; done >> "$LOGS/a.log"
for i in $(seq 1 4); do line 500 ServiceUnavailable "s$i"; done >> "$LOGS/a.log"
for i in $(seq 1 9); do line 200 Success "o$i"; done >> "$LOGS/a.log"
line 4242 NoSuchName u1 >> "$LOGS/a.log"
expect_count Punishment 25
expect_count Success 9
wait_for 100 0.1 bash -c "[ \"\$(redis-cli -s $SOCK HLEN errwatch:alerts:active)\" = 1 ]" ||
	fail "no firing alert"

WPORT=$(free_port)
PPORT=$(free_port)
cat >> "$CFG" <<YAML
web:
  listen: "127.0.0.1:$WPORT"
  assets: $EW_SRC/web
YAML
"$EW_WEB_BIN" -c "$CFG" >> "$T/web.log" 2>&1 &
WPID=$!
mkdir -p "$T/prom"
cat > "$T/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: errwatch
    static_configs:
      - targets: ["127.0.0.1:$WPORT"]
YAML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$PPORT" >> "$T/prometheus.log" 2>&1 &
PPID_=$!
trap 'st_=$?; kill -9 $WPID $PPID_ 2>/dev/null || true; (exit $st_); cleanup' EXIT

# Poll the query API until the scrape landed and equals Redis.
compare() {
	curl -sf "http://127.0.0.1:$PPORT/api/v1/query" \
	    --data-urlencode 'query={__name__=~"errwatch_.*"}' > "$T/q.json" &&
	redis-cli -s "$SOCK" --raw HGETALL errwatch:count:total > "$T/totals.txt" &&
	python3 - "$T/q.json" "$T/totals.txt" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["data"]["result"]
raw = open(sys.argv[2]).read().split("\n")
totals = {raw[i]: int(raw[i + 1]) for i in range(0, len(raw) - 1, 2)}
got = {r["metric"]["class"]: int(r["value"][1]) for r in res
    if r["metric"]["__name__"] == "errwatch_lines_total"}
assert {k: v for k, v in got.items() if v} == totals, (got, totals)
host = {r["metric"]["class"]: int(r["value"][1]) for r in res
    if r["metric"]["__name__"] == "errwatch_host_lines_total"
    and r["metric"]["host"] == "testhost"}
assert host == totals, (host, totals)
fire = [r["metric"] for r in res
    if r["metric"]["__name__"] == "errwatch_alerts_firing"]
assert len(fire) == 1 and fire[0]["class"] == "Punishment" and \
    fire[0]["host"] == "testhost" and fire[0]["severity"] == "critical", fire
unc = [int(r["value"][1]) for r in res
    if r["metric"]["__name__"] == "errwatch_unclassified_total"]
assert unc == [1], unc
print("prometheus: %d classes equal Redis" % len(totals))
PY
}
wait_for 300 0.1 compare >/dev/null || { compare || true; tail -5 "$T/prometheus.log"; fail "Prometheus differs from Redis"; }
compare
echo "web_prometheus: ok"
