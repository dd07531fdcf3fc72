# journal_lib.sh: sourced by the journal_* scenarios after lib.sh. Real
# journal files from systemd-journal-remote (journal_gen.py), a config
# with a journal input over $JDIR beside a file input over $LOGS (for
# wait_flushes' markers), and truth checks.
REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || skip "systemd-journal-remote is not installed"
JDIR=${JDIR:-$T/journal}
TRUTH=$T/truth
GEN=$EW_SRC/tests/integration/journal_gen.py
CLASSES="--class 461:Punishment --class 473:ServiceUnavailable --class 500:InternalError"

# write_jconfig: inputs app (files) and units (the journal in $JDIR,
# unit game-gateway.service only); $ALERTS is appended as YAML.
write_jconfig() {
	cat > "$CFG" <<YAML
host: testhost
table: $EW_SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: ${FLUSH:-200ms}
inputs:
  - name: app
    paths: ["$LOGS/*.log"]
    start_at: beginning
  - name: units
    journal:
      units: [game-gateway.service]
      directory: $JDIR
    start_at: ${START_AT:-beginning}
${ALERTS:-}
YAML
}

# gen ARGS...: journal_gen.py into $JDIR/remote.journal with the truth
# kept in $TRUTH, the three classes, noise and another unit's entries.
gen() {
	mkdir -p "$JDIR"
	python3 "$GEN" "$JDIR/remote.journal" --truth "$TRUTH" $CLASSES \
	    --noise 7 --other-unit other.service --other-every 5 "$@"
}

# truth KEY: the generator's count (0 when absent).
truth() {
	awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$TRUTH"
}

# expect_truth: every class of the unit counted exactly as written.
expect_truth() {
	local c
	for c in Punishment ServiceUnavailable InternalError; do
		expect_count "$c" "$(truth "$c")"
	done
}
