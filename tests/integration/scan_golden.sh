# --scan golden files: tests/golden/*.log through tests/golden/golden.yaml
# must print exactly tests/golden/*.out (elapsed time aside). The edge
# cases are listed in tests/golden/README.
. "$(dirname "$0")/lib.sh"

G=$EW_SRC/tests/golden
"$EW_BIN" --scan -c "$G/golden.yaml" "$G/edge.log" | grep -v '^elapsed' \
    > "$T/edge.out"
diff -u "$G/edge.out" "$T/edge.out" || fail "edge.out differs"

"$EW_BIN" --scan --json -c "$G/golden.yaml" "$G/edge.log" "$G/noise.log" |
    sed 's/,"elapsed_s":[0-9.]*}/}/' > "$T/edge_noise.json.out"
diff -u "$G/edge_noise.json.out" "$T/edge_noise.json.out" ||
	fail "edge_noise.json.out differs"

# stdin gives the same counts as the file
"$EW_BIN" --scan --json -c "$G/golden.yaml" < "$G/edge.log" |
    sed 's/,"elapsed_s":[0-9.]*}/}/' > "$T/stdin.out"
"$EW_BIN" --scan --json -c "$G/golden.yaml" "$G/edge.log" |
    sed 's/,"elapsed_s":[0-9.]*}/}/' > "$T/file.out"
diff -u "$T/file.out" "$T/stdin.out" || fail "stdin differs from the file"

# A missing file: exit 1, the other files still counted.
st=0
"$EW_BIN" --scan --json -c "$G/golden.yaml" "$G/edge.log" "$T/nope.log" \
    > "$T/missing.out" 2>/dev/null || st=$?
[ $st -eq 1 ] || fail "missing file: exit $st, want 1"
grep -q '"matched":14' "$T/missing.out" || fail "missing file: counts lost"

# A directory where a file was expected, and a 100 MiB line without a
# newline: no crash, exact counts.
st=0
"$EW_BIN" --scan -c "$G/golden.yaml" "$T" >/dev/null 2>&1 || st=$?
[ $st -eq 1 ] || fail "directory: exit $st, want 1"
{ head -c 104857600 /dev/zero | tr '\0' 'a'; printf ' code=461\ncode=473\n'; } > "$T/huge.log"
"$EW_BIN" --scan --json -c "$G/golden.yaml" "$T/huge.log" |
    grep -q '"lines":2,"matched":1,"counts":{"ServiceUnavailable":1}' ||
	fail "100 MiB line"
echo "scan_golden: all passed"
