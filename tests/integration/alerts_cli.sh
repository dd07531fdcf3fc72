# errwatch-alerts' command line (SPEC §2): --version and --help exit 0,
# a usage error 64, a bad delivery section 78 with file:line:column from
# --check-config and from the program itself; --check-config lists the
# delivery keys. No Redis needed.
. "$(dirname "$0")/lib.sh"

st() {
	local s=0
	"$EW_ALERTS_BIN" "$@" > "$T/out" 2>&1 || s=$?
	echo $s
}

[ "$(st --version)" = 0 ] || fail "--version"
grep -qx "errwatch-alerts [0-9.]*" "$T/out" || fail "--version: $(cat "$T/out")"
[ "$(st --help)" = 0 ] || fail "--help"
grep -q '^usage: errwatch-alerts \[-c FILE\]' "$T/out" || fail "--help text"
[ "$(st --nope)" = 64 ] || fail "unknown option: not 64"
[ "$(st -c "$CFG" operand)" = 64 ] || fail "operand: not 64"
[ "$(st --log-level loud)" = 64 ] || fail "bad --log-level: not 64"

write_config
[ "$(st --check-config -c "$CFG")" = 0 ] || fail "good config: $(cat "$T/out")"
grep -qE '^delivery.alertmanager +\[http://127.0.0.1:9093\]$' "$T/out" ||
	fail "--check-config lacks delivery.alertmanager"
grep -q '^summary 1 alertmanagers, 0 webhooks, group errwatch-alerts$' \
    "$T/out" || fail "--check-config summary: $(tail -n 1 "$T/out")"

cp "$CFG" "$T/bad.yaml"
cat >> "$T/bad.yaml" <<'YAML'
delivery:
  webhooks:
    - url: "mailto:ops@example.com"
YAML
for mode in --check-config ""; do
	s=$(st $mode -c "$T/bad.yaml")
	[ "$s" = 78 ] || fail "bad delivery ($mode): exit $s"
	grep -qF "errwatch-alerts: $T/bad.yaml:14:12: delivery.webhooks[0].url: expected an http:// or https:// URL" \
	    "$T/out" || fail "bad delivery ($mode): $(cat "$T/out")"
done
# ERRWATCH_CONFIG when there is no -c.
s=0
ERRWATCH_CONFIG=$T/bad.yaml "$EW_ALERTS_BIN" --check-config > "$T/out" 2>&1 || s=$?
[ "$s" = 78 ] || fail "ERRWATCH_CONFIG not used"
echo "alerts_cli: all passed"
