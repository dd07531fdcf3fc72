# The daemon end to end: several files written at once, a new file counted
# within 1 s, exact counts in every key, the keys' shapes and TTLs, and
# SIGTERM losing nothing.
. "$(dirname "$0")/lib.sh"

start_redis
write_config
for f in a b c; do
	for i in $(seq 1 50); do line 461 Punishment "$f$i"; done > "$LOGS/$f.log"
done
start_daemon
expect_count Punishment 150

# Three files written at once, interleaved.
for i in $(seq 1 200); do
	line 473 ServiceUnavailable "a$i" >> "$LOGS/a.log"
	line 500 InternalError "b$i" >> "$LOGS/b.log"
	printf 'ts=%s code=406\n' "$i" >> "$LOGS/c.log"
	printf 'ts=%s code=1234 name=Nope\n' "$i" >> "$LOGS/c.log"
	printf 'ts=%s noise dur_ms=473 /rooms/461/join\n' "$i" >> "$LOGS/c.log"
done
expect_count ServiceUnavailable 200
expect_count InternalError 200
expect_count 406 200
expect_count Unclassified 200
[ "$(rc HGET errwatch:unclassified 1234)" = 200 ] || fail "unclassified 1234"

# A new file is counted within 1 s of its creation.
t0=$(date +%s%N)
line 4010 IdpAuthFailure new > "$LOGS/new.log"
wait_for 200 0.005 count_is IdpAuthFailure 1 || fail "new file not counted"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "new file counted after ${ms} ms"
[ $ms -le 1000 ] || fail "new file took ${ms} ms"

# Host totals equal the totals; the 10s buckets add up to the totals.
[ "$(rc HGET errwatch:host:testhost:count:total Punishment)" = 150 ] ||
	fail "host total"
sum=0
for k in $(rc --scan --pattern 'errwatch:count:10s:*'); do
	v=$(rc HGET "$k" ServiceUnavailable); sum=$((sum + ${v:-0}))
	ttl=$(rc TTL "$k")
	[ "$ttl" -gt 0 ] && [ "$ttl" -le 21600 ] || fail "$k TTL $ttl"
done
[ $sum -eq 200 ] || fail "10s buckets hold $sum ServiceUnavailable, want 200"
for k in $(rc --scan --pattern 'errwatch:count:1h:*'); do
	ttl=$(rc TTL "$k")
	[ "$ttl" -gt 21600 ] && [ "$ttl" -le 7776000 ] || fail "$k TTL $ttl"
done
[ "$(rc TTL errwatch:count:total)" = -1 ] || fail "count:total has a TTL"
rc HGET errwatch:codes 406 | grep -q '"candidates":\["NotExistData","AlreadyUsedIdpAccount"\]' ||
	fail "codes 406"
rc HGET errwatch:codes Punishment | grep -q '"code":461' || fail "codes Punishment"
[ "$(rc ZSCORE errwatch:hosts testhost)" != "" ] || fail "hosts"
[ "$(rc HGET errwatch:stats:testhost lines)" -ge 1150 ] || fail "stats lines"
[ "$(rc HGET errwatch:stats:testhost version)" != "" ] || fail "stats version"
[ "$(rc HLEN errwatch:offsets:testhost)" = 4 ] || fail "offsets: $(rc HLEN errwatch:offsets:testhost) records, want 4"

# SIGTERM flushes what was read and exits 0: lines written just before
# the signal are all counted.
for i in $(seq 1 300); do line 401 AuthFailure "t$i"; done >> "$LOGS/a.log"
stop_daemon
[ "$(count AuthFailure)" = 300 ] || fail "after SIGTERM AuthFailure = $(count AuthFailure), want 300"

# A restart continues from the stored offsets: nothing counted twice.
for i in $(seq 1 10); do line 401 AuthFailure "r$i"; done >> "$LOGS/b.log"
start_daemon
expect_count AuthFailure 310
expect_count Punishment 150
stop_daemon
echo "daemon_basic: all passed"
