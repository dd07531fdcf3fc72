# --scan --json on generated logfmt, JSON-lines and access-log corpora
# equals the generator's ground truth exactly, every class (SPEC §2, §5).
. "$(dirname "$0")/lib.sh"

for fmt in logfmt json access; do
	for seed in 1 42; do
		bash "$EW_SRC/bench/corpus-check.sh" "$EW_BUILD" "$fmt" "$seed" \
		    100000 0.3 || fail "$fmt seed $seed"
	done
done
# The default error rate (2%) on a larger corpus.
bash "$EW_SRC/bench/corpus-check.sh" "$EW_BUILD" logfmt 3 500000 ||
	fail "logfmt 500000 lines"
echo "scan_corpus: all exact"
