#!/usr/bin/env bash
# bench/scan.sh [BUILD_DIR] [SIZE_MiB]: the --scan benchmark (SPEC §12).
#
# Generates a logfmt and a JSON-lines corpus of SIZE_MiB (default 1024) with
# bench/ew-gen, warms them into the page cache, then times, best of 3 each,
# on the same files in the same run:
#
#   errwatchd --scan --json -c bench/<fmt>.yaml FILE
#   rg -c -j1 '<the same pattern, (?P<name>...) syntax>' FILE
#   ew-ref '<the pattern>' FILE          (one PCRE2 JIT search per buffer)
#   mtail --one_shot                     (only when mtail is installed; one
#                                         run, it is ~100x slower)
#
# errwatchd's counts must equal ew-gen's truth exactly (elapsed_s aside);
# rg's and ew-ref's matched lines must equal the truth's "matched".
# Targets: errwatchd >= 1.2x rg and >= 0.85x ew-ref. Prints a table;
# exit 0 when every row passes, 1 otherwise.
#
# Environment: FORMATS="logfmt json" (also access), SEED=1, RUNS=3,
# EW_BENCH_MTAIL=0 to skip mtail. Only ripgrep is installed if missing
# (apt-get); nothing else is downloaded.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${1:-build}
size_mib=${2:-1024}
formats=${FORMATS:-logfmt json}
seed=${SEED:-1}
runs=${RUNS:-3}

case $size_mib in
''|*[!0-9]*) echo "usage: bash bench/scan.sh [BUILD_DIR] [SIZE_MiB]" >&2; exit 64 ;;
esac
if [ ! -d "$build" ] && [ -d "$root/$build" ]; then
	build=$root/$build
fi
build=$(cd "$build" 2>/dev/null && pwd || echo "$build")

tmp=$(mktemp -d /var/tmp/ew-bench.XXXXXX)
# shellcheck disable=SC2317  # called by the trap
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { printf '%s\n' "$*" >&2; }

# The helpers come from the build; if it has none, build them here.
tool() {
	local name=$1
	shift
	if [ -x "$build/$name" ]; then
		echo "$build/$name"
		return
	fi
	note "scan.sh: $build/$name missing, compiling bench/$name.c"
	cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	    "$here/$name.c" -o "$tmp/$name" "$@" -lm >&2
	echo "$tmp/$name"
}
gen=$(tool ew-gen)
ref=$(tool ew-ref -lpcre2-8)
ewd=$build/errwatchd
if [ ! -x "$ewd" ]; then
	note "scan.sh: $ewd not built: its column will read n/a"
	ewd=
fi

if ! command -v rg >/dev/null 2>&1; then
	note "scan.sh: installing ripgrep"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q ripgrep \
	    >&2 || { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >&2 &&
	    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q ripgrep >&2; } ||
	    note "scan.sh: could not install ripgrep: its column will read n/a"
fi
have_rg=0
command -v rg >/dev/null 2>&1 && have_rg=1
have_mtail=0
if [ "${EW_BENCH_MTAIL:-1}" != 0 ] && command -v mtail >/dev/null 2>&1; then
	have_mtail=1
fi

table=$root/data/error-codes.tsv
table_arg=()
if [ -f "$table" ]; then
	table_arg=(--table "$table")
else
	note "scan.sh: $table missing: ew-gen uses its built-in copy"
fi

# The first pattern of a bench config, and its rg/RE2 spelling.
pattern_of() {
	sed -n "s/^ *- '\\(.*\\)' *\$/\\1/p" "$here/$1.yaml" | head -n 1
}
to_rg() {
	printf '%s' "$1" | sed 's/(?<\([A-Za-z_]\)/(?P<\1/g'
}

# best_of OUT CMD...: runs CMD $runs times, stdout to OUT; prints the best
# wall time in ns, or "fail".
best_of() {
	local out=$1 best='' t0 t1 i
	shift
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		if ! "$@" >"$out" 2>"$out.err"; then
			note "scan.sh: failed: $*"
			sed 's/^/  /' "$out.err" | head -n 5 >&2
			echo fail
			return
		fi
		t1=$(date +%s%N)
		if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then
			best=$((t1 - t0))
		fi
	done
	echo "$best"
}

mbs() {		# bytes ns -> 10^6 bytes/s
	case $2 in fail|'') echo n/a ;;
	*) awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.0f", b * 1000 / ns }' ;;
	esac
}
ratio() {
	case "$1$2" in *n/a*) echo n/a ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' ;;
	esac
}

# same_counts TRUTH OUT: errwatchd's JSON against the truth, elapsed_s aside.
same_counts() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
truth = json.load(open(sys.argv[1]))
try:
    got = json.load(open(sys.argv[2]))
except ValueError as e:
    print("  errwatchd output is not JSON: %s" % e, file=sys.stderr)
    sys.exit(1)
got.pop("elapsed_s", None)
if got == truth:
    sys.exit(0)
for k in ("lines", "matched"):
    if got.get(k) != truth.get(k):
        print("  %s: errwatchd %s, truth %s" % (k, got.get(k), truth.get(k)),
              file=sys.stderr)
for sect in ("counts", "unclassified"):
    g, t = got.get(sect) or {}, truth.get(sect) or {}
    for k in sorted(set(g) | set(t)):
        if g.get(k) != t.get(k):
            print("  %s.%s: errwatchd %s, truth %s" % (sect, k, g.get(k),
                  t.get(k)), file=sys.stderr)
sys.exit(1)
EOF
}

matched_of() {		# the truth's "matched"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["matched"])' "$1"
}

rows=()
status=0
for fmt in $formats; do
	pat=$(pattern_of "$fmt")
	if [ -z "$pat" ]; then
		note "scan.sh: no pattern in bench/$fmt.yaml"
		exit 1
	fi
	rgpat=$(to_rg "$pat")
	file=$tmp/$fmt.log
	truth=$tmp/$fmt.truth.json
	note "scan.sh: generating $size_mib MiB of $fmt"
	"$gen" --format "$fmt" --size "${size_mib}MiB" --seed "$seed" \
	    "${table_arg[@]}" --truth "$truth" -o "$file"
	bytes=$(stat -c %s "$file")
	want=$(matched_of "$truth")
	cat "$file" >/dev/null			# warm: every tool reads from RAM
	notes=

	ns_ew=fail counts=n/a
	if [ -n "$ewd" ]; then
		note "scan.sh: $fmt: errwatchd --scan"
		ns_ew=$(best_of "$tmp/ew.out" "$ewd" --scan --json \
		    -c "$here/$fmt.yaml" "$file")
		if [ "$ns_ew" != fail ]; then
			if same_counts "$truth" "$tmp/ew.out"; then
				counts=exact
			else
				counts=WRONG
			fi
		fi
	fi

	ns_rg=fail
	if [ "$have_rg" = 1 ]; then
		note "scan.sh: $fmt: rg -c -j1"
		ns_rg=$(best_of "$tmp/rg.out" rg -c -j1 "$rgpat" "$file")
		if [ "$ns_rg" != fail ] && [ "$(cat "$tmp/rg.out")" != "$want" ]; then
			notes+=" rg-matched=$(cat "$tmp/rg.out")!=$want"
		fi
	fi

	note "scan.sh: $fmt: ew-ref"
	ns_ref=$(best_of "$tmp/ref.out" "$ref" "$pat" "$file")
	if [ "$ns_ref" != fail ]; then
		got=$(awk '$1 == "matched" { print $2 }' "$tmp/ref.out")
		[ "$got" = "$want" ] || notes+=" ref-matched=$got!=$want"
	fi

	mt=n/a
	if [ "$have_mtail" = 1 ]; then
		note "scan.sh: $fmt: mtail --one_shot (one run)"
		mkdir -p "$tmp/mtail"
		# shellcheck disable=SC2016  # $code is mtail's, not ours
		printf 'counter ew_lines by code\n/%s/ {\n  ew_lines[$code]++\n}\n' \
		    "$(printf '%s' "$rgpat" | sed 's,/,\\/,g')" \
		    >"$tmp/mtail/$fmt.mtail"
		ns_mt=$(runs=1 best_of "$tmp/mt.out" mtail --one_shot \
		    --one_shot_format prometheus \
		    --progs "$tmp/mtail" --logs "$file")
		mt=$(mbs "$bytes" "$ns_mt")
		rm -f "$tmp/mtail/$fmt.mtail"
		if [ "$ns_mt" != fail ]; then
			got=$(awk '/^ew_lines\{/ { s += $NF } END { print s + 0 }' \
			    "$tmp/mt.out")
			[ "$got" = "$want" ] || notes+=" mtail-matched=$got!=$want"
		fi
	fi

	ew=$(mbs "$bytes" "$ns_ew")
	rg=$(mbs "$bytes" "$ns_rg")
	rf=$(mbs "$bytes" "$ns_ref")
	r_rg=$(ratio "$ew" "$rg")
	r_ref=$(ratio "$ew" "$rf")
	verdict=PASS
	if [ "$counts" != exact ] ||
	    ! awk -v a="$r_rg" -v b="$r_ref" \
	    'BEGIN { exit !(a != "n/a" && b != "n/a" && a >= 1.2 && b >= 0.85) }'; then
		verdict=FAIL
		status=1
	fi
	rows+=("$(printf '%-7s %6s %10s %8s %8s %8s %6s %6s %6s  %s%s' \
	    "$fmt" "$((bytes >> 20))" "$ew" "$rg" "$rf" "$mt" "$r_rg" "$r_ref" \
	    "$counts" "$verdict" "$notes")")
	rm -f "$file"
done

echo
echo "errwatch --scan benchmark, warm page cache, best of $runs, MB = 10^6 bytes"
echo "targets: errwatchd >= 1.2x rg -c -j1 and >= 0.85x ew-ref (SPEC §12)"
printf '%-7s %6s %10s %8s %8s %8s %6s %6s %6s  %s\n' format MiB \
    "ew MB/s" "rg MB/s" "ref MB/s" "mtail" ew/rg ew/ref counts verdict
for r in "${rows[@]}"; do
	echo "$r"
done
exit "$status"
