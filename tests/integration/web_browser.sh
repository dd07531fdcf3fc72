# errwatch-web end to end (SPEC §14), real components only: a private
# redis-server, two real errwatchd processes writing known counts and a
# Punishment spike, errwatch-web connected as the read-only ACL user of
# the README, and Debian's headless chromium running the page's scripts.
# Every number the page shows equals Redis; the firing alert is listed;
# a page left open shows counts written after it loaded (its refresh);
# the chart holds the series; hostile host and unclassified values stay
# text; the API is valid JSON; HTTP refusals carry their status.
. "$(dirname "$0")/lib.sh"

: "${EW_WEB_BIN:?EW_WEB_BIN: path of errwatch-web}"
command -v chromium >/dev/null || skip "chromium is not installed"
command -v curl >/dev/null || skip "curl is not installed"
[ -f /usr/share/javascript/dygraphs/dygraph.min.js ] ||
	skip "libjs-dygraphs is not installed"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
RPORT=$(free_port)
start_redis --port "$RPORT" --bind 127.0.0.1
# README: the read-only user errwatch-web runs as.
rc ACL SETUSER errwatch-web on '>webpw' resetkeys '%R~errwatch:*' \
    resetchannels -@all +ping +select +hgetall +zrange +xrange \
    +xrevrange >/dev/null

# Two hosts, each a real errwatchd with its own logs.
pattern='(?:\bcode=(?<code>\d{3,4})\b)?.*?\bname=(?<name>[^|]+)\|'
for h in alpha beta; do
	mkdir -p "$T/$h"
	cat > "$T/$h.yaml" <<YAML
host: $h
table: $EW_SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: 200ms
inputs:
  - name: app
    paths: ["$T/$h/*.log"]
    start_at: beginning
    patterns: ['$pattern']
alerts:
  rules:
    - {match: Punishment, threshold: 20, window: 60s, severity: critical}
YAML
	"$EW_BIN" -c "$T/$h.yaml" >> "$T/daemon-$h.log" 2>&1 &
	echo $! > "$T/$h.pid"
done
DPID=$(cat "$T/alpha.pid")
BPID=$(cat "$T/beta.pid")
trap 'st_=$?; kill -9 $BPID $WPID 2>/dev/null || true; (exit $st_); cleanup' EXIT
WPID=""

emit() {	# FILE N CODE NAME
	local i
	for ((i = 0; i < $2; i++)); do
		printf 'ts=%s %sname=%s| x\n' "$EPOCHREALTIME" \
		    "${3:+code=$3 }" "$4"
	done >> "$1"
}
emit "$T/alpha/a.log" 30 461 Punishment		# the spike: fires
emit "$T/alpha/a.log" 7 500 ServiceUnavailable
emit "$T/beta/b.log" 12 200 Success
emit "$T/beta/b.log" 3 '' '<img src=x onerror=alert(1)>"'\''\</script>'
expect_count Punishment 30
expect_count ServiceUnavailable 7
expect_count Success 12
wait_for 100 0.1 bash -c "[ \"\$(redis-cli -s $SOCK HLEN errwatch:alerts:active)\" = 1 ]" ||
	fail "no firing alert"
# A hostile host, as a compromised Redis or a strange hostname would hold.
evil=$'<img src=x onerror=alert(1)>\x01"\\</script>\xff'
rc ZADD errwatch:hosts "$(date +%s)" "$evil" >/dev/null
rc HSET "errwatch:host:$evil:count:total" Success 1 >/dev/null

WPORT=$(free_port)
cat > "$T/web.yaml" <<YAML
table: $EW_SRC/data/error-codes.tsv
redis:
  url: redis://errwatch-web:webpw@127.0.0.1:$RPORT/0
inputs:
  - {name: none, paths: ["$T/none/*.log"]}
web:
  listen: "127.0.0.1:$WPORT"
  assets: $EW_SRC/web
  refresh: 2s
YAML
"$EW_WEB_BIN" --check-config -c "$T/web.yaml" >/dev/null ||
	fail "--check-config refused the web config"
"$EW_WEB_BIN" -c "$T/web.yaml" --log-level debug >> "$T/web.log" 2>&1 &
WPID=$!
U=http://127.0.0.1:$WPORT
wait_for 100 0.1 curl -sf "$U/healthz" || { cat "$T/web.log"; fail "no /healthz"; }

browse() {	# URL OUT
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$(mktemp -d "$T/chr.XXXX")" \
	    --virtual-time-budget="${BUDGET:-10000}" --dump-dom "$1" \
	    > "$2" 2>> "$T/chromium.log"
}

# The series stream gets a bucket once it closed (SPEC §7).
wait_for 300 0.1 bash -c "[ \"\$(redis-cli -s $SOCK XLEN errwatch:series:10s)\" -ge 1 ]" ||
	fail "no closed 10s bucket"

# 1. The page as a browser shows it, against Redis.
browse "$U/" "$T/page.html" || fail "chromium failed"
redis-cli -s "$SOCK" --raw HGETALL errwatch:count:total > "$T/totals.txt"
redis-cli -s "$SOCK" --raw XRANGE errwatch:series:10s - + > "$T/series.txt"
python3 - "$T/page.html" "$T/totals.txt" "$T/series.txt" <<'PY' || fail "page differs from Redis"
import json, re, sys
from html.parser import HTMLParser
dom = open(sys.argv[1], encoding="utf-8").read()
raw = open(sys.argv[2]).read().split("\n")
totals = {raw[i]: int(raw[i + 1]) for i in range(0, len(raw) - 1, 2)}

class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.sec = None; s.rows = {}; s.cell = None
        s.row = None; s.imgs = 0; s.scripts = 0; s.chart = {}
    def handle_starttag(s, t, a):
        a = dict(a)
        if t == "img": s.imgs += 1
        if t == "section": s.sec = a.get("id")
        if t == "tr": s.row = []
        if t == "td": s.cell = [a.get("class") or "", ""]
        if t == "div" and a.get("id") == "chart": s.chart = a
    def handle_endtag(s, t):
        if t == "td" and s.row is not None and s.cell:
            s.row.append(tuple(s.cell)); s.cell = None
        if t == "tr" and s.row:
            s.rows.setdefault(s.sec, []).append(s.row); s.row = None
    def handle_data(s, d):
        if s.cell is not None: s.cell[1] += d
p = P(); p.feed(dom)
rows = p.rows.get("classes", [])
shown = {r[0][1]: r for r in rows}
assert set(totals) <= set(shown), (sorted(shown), sorted(totals))
for name, r in shown.items():
    nums = {c: int(v) for c, v in r if c.startswith("n ")}
    want = totals.get(name, 0)
    # all was written in the last minutes: every window holds it all
    assert nums == {"n w0": want, "n w1": want, "n w2": want,
        "n total": want}, (name, nums, want)
fire = p.rows.get("firing", [])
assert len(fire) == 1 and fire[0][0][1] == "Punishment" and \
    fire[0][1][1] == "alpha", fire
hosts = [r[0][1] for r in p.rows.get("hosts", [])]
assert "alpha" in hosts and "beta" in hosts, hosts
evil = [h for h in hosts if "onerror" in h]
assert len(evil) == 1 and evil[0].startswith("<img src=x onerror=alert(1)>"), evil
uncl = [r[0][1] for r in p.rows.get("unclassified", [])]
assert any(u.startswith("<img src=x onerror=alert(1)>") for u in uncl), uncl
assert p.imgs == 0, "an <img> element was created"
# the chart holds the series: every stream entry, every class count
sraw = open(sys.argv[3]).read().split("\n")
assert p.chart.get("data-points", "0") != "0", p.chart
pts = json.loads(p.chart["data-series"])
ids = [l for l in sraw if re.fullmatch(r"\d+-1", l)]
assert [pt[0] for pt in pts] == [int(i.split("-")[0]) for i in ids], (pts, ids)
print("page: %d classes equal Redis, 1 firing, %d series points" %
    (len(shown), len(pts)))
PY

# 2. A page left open: counts written after it loaded show up.
n0=$(count Punishment)
( wait_for 300 0.05 grep -q "GET /api/v1/series" "$T/web.log.2" 2>/dev/null
  emit "$T/alpha/a.log" 5 461 Punishment ) &
XPID=$!
: > "$T/web.log.2"
tail -n0 -f "$T/web.log" > "$T/web.log.2" &
TPID=$!
BUDGET=120000 browse "$U/" "$T/page2.html" || fail "chromium failed"
kill $TPID 2>/dev/null || true
wait $XPID || true
expect_count Punishment $((n0 + 5))
python3 - "$T/page2.html" $((n0 + 5)) <<'PY' || fail "the open page did not refresh"
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
assert "data-updated" in dom, "no refresh ran"
m = re.search(r'href="/class/Punishment">Punishment</a></td>.*?'
    r'<td class="n total">(\d+)</td>', dom, re.S)
assert m and int(m.group(1)) == int(sys.argv[2]), (m and m.group(1))
print("open page refreshed to Punishment =", m.group(1))
PY

# 3. The API is valid JSON, hostile values included; /metrics escapes.
for p in totals alerts hosts classes class/Punishment host/alpha \
    "series?res=10s"; do
	curl -sf "$U/api/v1/$p" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
		fail "/api/v1/$p: not JSON"
done
curl -sf "$U/api/v1/hosts" | python3 -c '
import json, sys
h = [x["host"] for x in json.load(sys.stdin)["hosts"]]
assert any(x.startswith("<img src=x onerror=alert(1)>\x01\"\\</script>") for x in h), h'
curl -sf "$U/metrics" > "$T/metrics.txt"
grep -qF 'errwatch_host_lines_total{host="<img src=x onerror=alert(1)>'$'\x01''\"\\</script>' "$T/metrics.txt" ||
	fail "hostile host not escaped in /metrics"
grep -qx 'errwatch_lines_total{class="Punishment",code="461",category="account"} '$((n0 + 5)) "$T/metrics.txt" ||
	fail "errwatch_lines_total Punishment"

# 4. HTTP refusals, each with its status.
st() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }
[ "$(st -I "$U/")" = 200 ] || fail "HEAD not 200"
[ "$(st -X POST "$U/")" = 405 ] || fail "POST not 405"
curl -s -o /dev/null -D - -X PUT "$U/metrics" | grep -qi '^allow: GET, HEAD' ||
	fail "405 without Allow"
[ "$(st -X DELETE "$U/api/v1/totals")" = 405 ] || fail "DELETE not 405"
[ "$(st "$U/static/../../etc/passwd")" = 400 ] || fail "/../ not 400"
[ "$(st "$U/static/%2e%2e/%2e%2e/etc/passwd")" = 400 ] || fail "encoded traversal"
[ "$(st "$U/static/..%2f..%2fetc%2fpasswd")" = 400 ] || fail "encoded slash"
[ "$(st "$U/$(head -c 2000 /dev/zero | tr '\0' a)")" = 400 ] || fail "long path"
[ "$(st "$U/$(head -c 20000 /dev/zero | tr '\0' a)")" = 414 ] || fail "huge path"
[ "$(st "$U/api/v1/series?res=5s")" = 400 ] || fail "bad res"
[ "$(st "$U/api/v1/series?res=10s&from=x")" = 400 ] || fail "bad from"
[ "$(st "$U/api/v1/series?res=10s&from=0&to=999999999999")" = 400 ] ||
	fail "too many points"
[ "$(st "$U/nope")" = 404 ] || fail "unknown path not 404"
curl -sI "$U/" | grep -qi "^content-security-policy: default-src 'none'; script-src 'self';" ||
	fail "no CSP"

# 5. 300 concurrent requests and 50 slow clients: the others are served.
python3 - "$WPORT" <<'PY' || fail "concurrency"
import socket, sys, threading
port = int(sys.argv[1])
slow = []
for i in range(50):   # half a request, then silence
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET /he")
    slow.append(s)
ok = []
def get():
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b: break
        data += b
    ok.append(data.startswith(b"HTTP/1.1 200"))
ts = [threading.Thread(target=get) for _ in range(300)]
[t.start() for t in ts]; [t.join() for t in ts]
assert len(ok) == 300 and all(ok), (len(ok), ok.count(False))
print("300 concurrent requests served beside 50 slow clients")
PY

# 6. Redis down: pages say so, /healthz is 503; back by itself.
kill_redis
wait_for 100 0.1 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $U/healthz)\" = 503 ]" ||
	fail "/healthz not 503 with Redis down"
curl -s "$U/" | grep -q "Redis is unreachable" || fail "page silent on Redis down"
start_redis --port "$RPORT" --bind 127.0.0.1
rc ACL SETUSER errwatch-web on '>webpw' resetkeys '%R~errwatch:*' \
    resetchannels -@all +ping +select +hgetall +zrange +xrange \
    +xrevrange >/dev/null
wait_for 200 0.1 curl -sf "$U/healthz" || fail "no recovery after Redis came back"
kill -TERM $WPID
wait $WPID || fail "errwatch-web exited $? on SIGTERM"
WPID=""
echo "web_browser: ok"
