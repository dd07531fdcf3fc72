# Install and package (SPEC §10): `cmake --install --prefix /usr` into a
# DESTDIR gives exactly Debian's layout, manual pages included; another
# prefix moves /etc and the unit under it and rewrites the paths inside.
# Every man/*.5 and man/*.8 (errwatchd.8 at least) passes `mandoc -T lint`
# with nothing above STYLE and renders with `man -l` without a warning.
# `cpack -G DEB` in the temp dir gives a package errwatch with the runtime
# libraries in Depends, the config as its only conffile, the same files
# plus copyright (DEP-5) and changelog.Debian.gz, maintainer scripts that
# enable and start the unit through deb-systemd-helper and
# deb-systemd-invoke (run here against stubs, with and without systemd),
# no lintian error, and nothing left in the build dir. Needs no Redis and
# no root. Without mandoc, man, dpkg-deb or lintian (scripts/deps.sh
# installs them) it runs what it can and exits 77.
set -euo pipefail

: "${EW_SRC:?EW_SRC: source dir}"
: "${EW_BIN:?EW_BIN: path of errwatchd}"
: "${EW_BUILD:=$(dirname "$EW_BIN")}"

T=$(mktemp -d /tmp/ew-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Tools a part needs; a missing one skips that part, and the test ends 77.
missing=()
need_tool() {
	command -v "$1" >/dev/null && return 0
	missing+=("$1")
	echo "install: SKIP: $1 missing: $2 not checked" >&2
	return 1
}

# listing DIR: "mode path" of everything under DIR but directories.
listing() {
	(cd "$1" && find . ! -type d -printf '%m %p\n' | sed 's# \./# /#' |
	    LC_ALL=C sort -k2)
}

# What packaging and installing could leave in the build dir: packages,
# cpack's staging, our install staging. (cpack's preinstall step may
# build targets there: that is the build's business.)
artifacts() {
	(cd "$EW_BUILD" && ls -d _CPack_Packages ew-install ./*.deb ./*.ddeb \
	    ./*.tar.gz 2>/dev/null || true)
}
artifacts > "$T/build.before"

# The manual pages in the sources: errwatchd.8 and whatever else man/ has
# (errwatch.yaml.5 ...), each installed gzipped to share/man/man<section>.
[ -f "$EW_SRC/man/errwatchd.8" ] || fail "man/errwatchd.8 missing"
pages=()
for f in "$EW_SRC"/man/*.[58]; do
	pages+=("$f")
done
# man_files ROOT: "644 ROOT/share/man/manN/PAGE.gz" for every page.
man_files() {
	local f b
	for f in "${pages[@]}"; do
		b=$(basename "$f")
		echo "644 $1/share/man/man${b##*.}/$b.gz"
	done
}

# --- 1. prefix /usr: Debian's layout ------------------------------------
want_files=$(printf '%s\n' '644 /etc/errwatch/errwatch.yaml' \
    '644 /lib/systemd/system/errwatch.service' '755 /usr/sbin/errwatchd' \
    '644 /lib/systemd/system/errwatch-web.service' \
    '755 /usr/sbin/errwatch-web' \
    '644 /usr/share/errwatch/web/errwatch.css' \
    '644 /usr/share/errwatch/web/errwatch.js' \
    '644 /lib/systemd/system/errwatch-alerts.service' \
    '755 /usr/sbin/errwatch-alerts' \
    '644 /usr/share/doc/errwatch/README.md' \
    '644 /usr/share/errwatch/error-codes.tsv'; man_files /usr)
want_files=$(printf '%s\n' "$want_files" | LC_ALL=C sort -k2)
DESTDIR=$T/root cmake --install "$EW_BUILD" --prefix /usr > "$T/install.log"
got=$(listing "$T/root")
[ "$got" = "$want_files" ] || fail "installed files:
$got
want:
$want_files"
R=$T/root
cmp -s "$R/usr/share/errwatch/error-codes.tsv" "$EW_SRC/data/error-codes.tsv" ||
	fail "installed table differs from data/error-codes.tsv"
cmp -s "$R/etc/errwatch/errwatch.yaml" "$EW_SRC/config/errwatch.yaml" ||
	fail "with prefix /usr the config must be installed unchanged"
for u in errwatch errwatch-alerts; do
	cmp -s "$R/lib/systemd/system/$u.service" "$EW_SRC/systemd/$u.service" ||
		fail "with prefix /usr the unit $u must be installed unchanged"
done
grep -qx 'ExecStart=/usr/sbin/errwatch-alerts' \
    "$R/lib/systemd/system/errwatch-alerts.service" || fail "alerts unit ExecStart"
grep -qx 'ExecStart=/usr/sbin/errwatchd' "$R/lib/systemd/system/errwatch.service" ||
	fail "unit ExecStart"
grep -q '^table: /usr/share/errwatch/error-codes.tsv ' "$R/etc/errwatch/errwatch.yaml" ||
	fail "config table: does not name /usr/share/errwatch/error-codes.tsv"
# The installed binary, config and table work together: the config with
# its table path moved into the DESTDIR passes --check-config.
sed "s#^table: /usr/share/#table: $R/usr/share/#" \
    "$R/etc/errwatch/errwatch.yaml" > "$T/check.yaml"
"$R/usr/sbin/errwatchd" --check-config -c "$T/check.yaml" > "$T/check.out" 2>&1 ||
	{ cat "$T/check.out"; fail "installed config does not pass --check-config"; }
"$R/usr/sbin/errwatch-alerts" --check-config -c "$T/check.yaml" \
    > "$T/check.out" 2>&1 ||
	{ cat "$T/check.out"; fail "errwatch-alerts --check-config of the installed config"; }
# The manual pages: gzip -9n of the sources (no name, no time stamp).
for f in "${pages[@]}"; do
	b=$(basename "$f")
	gzip -9nc "$f" | cmp -s - "$R/usr/share/man/man${b##*.}/$b.gz" ||
		fail "share/man/man${b##*.}/$b.gz is not gzip -9n of man/$b"
done
echo "install: prefix /usr: $(echo "$want_files" | wc -l) files in place"

# --- 1b. the manual pages: mandoc -T lint, man -l -----------------------
if need_tool mandoc "mandoc -T lint of the manual pages"; then
	for f in "${pages[@]}"; do
		# -W warning: only what is above STYLE; any of it fails.
		out=$(mandoc -T lint -W warning "$f" 2>&1) ||
			fail "mandoc -T lint $(basename "$f"):
$out"
		[ -z "$out" ] || fail "mandoc -T lint $(basename "$f"):
$out"
		style=$(mandoc -T lint "$f" 2>&1 | grep -c 'STYLE:' || true)
		echo "install: mandoc -T lint $(basename "$f"): clean ($style STYLE notes)"
	done
fi
if need_tool man "man -l of the manual pages"; then
	for f in "${pages[@]}"; do
		b=$(basename "$f")
		gz=$R/usr/share/man/man${b##*.}/$b.gz
		# as lintian renders them: groff's warnings on, UTF-8
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$gz" \
		    > "$T/$b.txt" 2> "$T/$b.err" ||
			{ cat "$T/$b.err"; fail "man -l $b failed"; }
		[ ! -s "$T/$b.err" ] || { cat "$T/$b.err"; fail "man -l $b: warnings"; }
		grep -q '^NAME' "$T/$b.txt" || fail "man -l $b: no NAME section"
	done
	# errwatchd(8) holds every option and mode of SPEC §2, the exit
	# statuses, the signals and the environment.
	txt=$T/errwatchd.8.txt
	for w in '-c file' '--config' '-f, --foreground' '-v, --verbose' \
	    '-q, --quiet' '--log-level' '--check-config' '--scan' '--input' \
	    '--json' '--once' '--version' '--help' 'SIGHUP' 'SIGTERM' \
	    'SIGINT' 'ERRWATCH_CONFIG' 'ERRWATCH_REDIS_URL' 'NOTIFY_SOCKET' \
	    'JOURNAL_STREAM' 'CREDENTIALS_DIRECTORY' '/etc/errwatch/errwatch.yaml' \
	    'errwatch.yaml(5)' 'redis-server(1)' 'systemd.service(5)'; do
		grep -qF -- "$w" "$txt" || fail "errwatchd(8) does not mention $w"
	done
	for s in 'EXIT STATUS' 'SIGNALS' 'ENVIRONMENT' 'FILES' 'SEE ALSO'; do
		grep -qx "$s" "$txt" || fail "errwatchd(8) has no $s section"
	done
	for c in 0 1 64 69 78; do
		grep -qE "^ +$c +[A-Z]" "$txt" || fail "errwatchd(8): exit status $c"
	done
	echo "install: man -l: ${#pages[@]} pages render without a warning"
fi

# --- 2. another prefix -----------------------------------------------------
P=/opt/errwatch
DESTDIR=$T/opt cmake --install "$EW_BUILD" --prefix "$P" > "$T/install2.log"
got=$(listing "$T/opt")
want2=$(printf '%s\n' "644 $P/etc/errwatch/errwatch.yaml" \
    "644 $P/lib/systemd/system/errwatch.service" "755 $P/sbin/errwatchd" \
    "644 $P/lib/systemd/system/errwatch-web.service" \
    "755 $P/sbin/errwatch-web" \
    "644 $P/share/errwatch/web/errwatch.css" \
    "644 $P/share/errwatch/web/errwatch.js" \
    "644 $P/lib/systemd/system/errwatch-alerts.service" \
    "755 $P/sbin/errwatch-alerts" \
    "644 $P/share/doc/errwatch/README.md" \
    "644 $P/share/errwatch/error-codes.tsv"; man_files "$P")
want2=$(printf '%s\n' "$want2" | LC_ALL=C sort -k2)
[ "$got" = "$want2" ] || fail "prefix $P: installed files:
$got
want:
$want2"
grep -q "^table: $P/share/errwatch/error-codes.tsv " \
    "$T/opt$P/etc/errwatch/errwatch.yaml" || fail "prefix $P: config table:"
grep -qx "ExecStart=$P/sbin/errwatchd" \
    "$T/opt$P/lib/systemd/system/errwatch.service" || fail "prefix $P: ExecStart"
! grep -q /usr/sbin/errwatchd "$T/opt$P/lib/systemd/system/errwatch.service" ||
	fail "prefix $P: unit still names /usr/sbin/errwatchd"
grep -qx "ExecStart=$P/sbin/errwatch-alerts" \
    "$T/opt$P/lib/systemd/system/errwatch-alerts.service" ||
	fail "prefix $P: errwatch-alerts ExecStart"
! grep -q /usr/sbin/ "$T/opt$P/lib/systemd/system/errwatch-alerts.service" ||
	fail "prefix $P: errwatch-alerts unit still names /usr/sbin"
echo "install: prefix $P: files and paths moved"

# --- 3. the .deb ------------------------------------------------------------
if ! need_tool dpkg-deb "the .deb"; then
	echo "install: SKIP: ${missing[*]} missing"
	exit 77
fi
command -v cpack >/dev/null || fail "cpack missing"
[ -f "$EW_BUILD/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $EW_BUILD"
(cd "$T" && cpack -G DEB -B "$T/pkg" --config "$EW_BUILD/CPackConfig.cmake") \
    > "$T/cpack.log" 2>&1 || { cat "$T/cpack.log"; fail "cpack failed"; }
debs=("$T"/pkg/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "want one .deb, got: ${debs[*]}"
DEB=${debs[0]}
version=$(sed -n 's/^project(errwatch VERSION \([0-9.]*\).*/\1/p' "$EW_SRC/CMakeLists.txt")
release=$(sed -n 's/^EW_DEB_RELEASE:STRING=//p' "$EW_BUILD/CMakeCache.txt")
[ -n "$release" ] || fail "no EW_DEB_RELEASE in $EW_BUILD/CMakeCache.txt"
# Not a native package: the upstream version, then the Debian revision.
dversion=$version-$release
arch=$(dpkg --print-architecture)
[ "$(basename "$DEB")" = "errwatch_${dversion}_${arch}.deb" ] ||
	fail "package file $(basename "$DEB")"
dpkg-deb -I "$DEB" > "$T/info"
field() {
	dpkg-deb -f "$DEB" "$1"
}
[ "$(field Package)" = errwatch ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$dversion" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
maint=$(field Maintainer)
printf '%s\n' "$maint" | grep -qE '^[^<>]+ <[^@<> ]+@[^@<> ]+\.[a-z]+>$' ||
	fail "Maintainer: '$maint' is not 'Name <address>'"
case $maint in
*@localhost*) fail "Maintainer: $maint: an address at localhost" ;;
esac
# Description: a synopsis, then a long description that does not repeat it.
synopsis=$(field Description | sed -n 1p)
body=$(field Description | tail -n +2 | sed 's/^ //')
[ -n "$synopsis" ] || fail "Description: no synopsis"
[ -n "$body" ] || fail "Description: no long description"
! printf '%s\n' "$body" | grep -qxF -- "$synopsis" ||
	fail "Description: the synopsis is repeated in the body"
depends=$(field Depends)
# The runtime libraries; libsystemd0 once errwatchd links libsystemd (it
# does as soon as the daemon calls notify_*; --as-needed drops it before).
need="libc6 libuv1 libpcre2-8-0 libhiredis0.14 libyaml-0-2 libcurl4 libjansson4"
dpkg-deb --fsys-tarfile "$DEB" | tar -xf - -C "$T" ./usr/sbin/errwatchd
if readelf -d "$T/usr/sbin/errwatchd" | grep 'NEEDED.*libsystemd\.so' >/dev/null; then
	need="$need libsystemd0"
fi
for p in $need; do
	printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
	    grep -qxF "$p" || fail "Depends lacks $p: $depends"
done

# The control archive: the config as the only conffile, and the three
# maintainer scripts of packaging/, executable.
mkdir "$T/ctrl"
dpkg-deb -e "$DEB" "$T/ctrl"
conffiles=$(cat "$T/ctrl/conffiles")
[ "$conffiles" = /etc/errwatch/errwatch.yaml ] || fail "conffiles: $conffiles"
ctrl=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -tvf - |
    awk '$NF != "./" { sub(/^\.\//, "", $NF); print $1, $NF }' |
    LC_ALL=C sort -k2 | tr '\n' ' ')
want_ctrl="-rw-r--r-- conffiles -rw-r--r-- control -rw-r--r-- md5sums "
want_ctrl+="-rwxr-xr-x postinst -rwxr-xr-x postrm -rwxr-xr-x prerm "
[ "$ctrl" = "$want_ctrl" ] || fail "control members: $ctrl
want: $want_ctrl"
for s in postinst prerm postrm; do
	cmp -s "$T/ctrl/$s" "$EW_SRC/packaging/$s" ||
		fail "$s differs from packaging/$s"
	[ "$(head -n 1 "$T/ctrl/$s")" = "#!/bin/sh" ] || fail "$s: not #!/bin/sh"
	grep -qx 'set -e' "$T/ctrl/$s" || fail "$s: no set -e"
	sh -n "$T/ctrl/$s" || fail "$s: syntax"
done

# The maintainer scripts run against stubs of deb-systemd-helper,
# deb-systemd-invoke and systemctl that log their arguments. A running
# systemd is simulated by pointing the scripts' test of /run/systemd/system
# at a directory of ours; the real one is never looked at.
mkdir "$T/stub" "$T/systemd-up"
for c in deb-systemd-helper deb-systemd-invoke systemctl; do
	cat > "$T/stub/$c" <<STUB
#!/bin/sh
echo "$c \$*" >> "$T/calls"
# was-enabled: as the test says (0: enabled, or never seen)
if [ "\$1 \$2" = "--quiet was-enabled" ]; then exit "\${EW_WAS_ENABLED:-0}"; fi
exit 0
STUB
	chmod +x "$T/stub/$c"
done
# run_script SCRIPT UP ARGS...: prints the calls SCRIPT makes, one a line,
# with systemd running (UP=1) or not (UP=0).
run_script() {
	local s=$1 up=$2 dir=/nonexistent/ew-no-systemd
	shift 2
	[ "$up" = 1 ] && dir=$T/systemd-up
	sed "s#/run/systemd/system#$dir#g" "$T/ctrl/$s" > "$T/$s.run"
	: > "$T/calls"
	PATH=$T/stub:$PATH sh "$T/$s.run" "$@" || fail "$s $*: exit status $?"
	cat "$T/calls"
}
# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: calls:
$2
want:
$3"
}
U=errwatch.service
enable="deb-systemd-helper unmask $U
deb-systemd-helper --quiet was-enabled $U
deb-systemd-helper enable $U"
expect "postinst configure, no systemd" "$(run_script postinst 0 configure)" \
    "$enable"
expect "postinst configure (install)" "$(run_script postinst 1 configure)" \
    "$enable
systemctl --system daemon-reload
deb-systemd-invoke start $U"
expect "postinst configure (upgrade)" \
    "$(run_script postinst 1 configure 0.0.9-1)" "$enable
systemctl --system daemon-reload
deb-systemd-invoke restart $U"
expect "postinst configure, disabled by the admin" \
    "$(EW_WAS_ENABLED=1 run_script postinst 1 configure 0.0.9-1)" \
    "deb-systemd-helper unmask $U
deb-systemd-helper --quiet was-enabled $U
deb-systemd-helper update-state $U
systemctl --system daemon-reload
deb-systemd-invoke restart $U"
expect "prerm remove" "$(run_script prerm 1 remove)" \
    "deb-systemd-invoke stop $U"
expect "prerm remove, no systemd" "$(run_script prerm 0 remove)" ""
expect "prerm upgrade" "$(run_script prerm 1 upgrade "$dversion")" ""
expect "postrm remove" "$(run_script postrm 1 remove)" \
    "systemctl --system daemon-reload"
expect "postrm remove, no systemd" "$(run_script postrm 0 remove)" ""
purge=""
[ -x /usr/bin/deb-systemd-helper ] && purge="deb-systemd-helper purge $U"
expect "postrm purge, no systemd" "$(run_script postrm 0 purge)" "$purge"
echo "install: maintainer scripts: enable, start, restart, stop, purge as dh_installsystemd"

# The files: those of cmake --install, plus copyright and the changelog.
got=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print $1, $2, $6 }' |
    sed 's# \./# /#' | LC_ALL=C sort -k3)
want_deb=$(printf '%s\n' "$want_files" '644 /usr/share/doc/errwatch/copyright' \
    '644 /usr/share/doc/errwatch/changelog.Debian.gz' | LC_ALL=C sort -k2 |
    awk '{ m = $1 == 755 ? "-rwxr-xr-x" : "-rw-r--r--"; print m, "root/root", $2 }')
[ "$got" = "$want_deb" ] || fail "package files:
$got
want:
$want_deb"
# The package holds what cmake --install put in place (the binary is
# stripped, so only the other files are compared).
mkdir "$T/deb"
dpkg-deb -x "$DEB" "$T/deb"
for f in $(printf '%s\n' "$want_files" | awk '$1 != 755 { print $2 }'); do
	cmp -s "$T/deb$f" "$R$f" || fail "package $f differs from the install"
done
doc=$T/deb/usr/share/doc/errwatch
cmp -s "$doc/copyright" "$EW_SRC/packaging/copyright" ||
	fail "copyright differs from packaging/copyright"
# DEP-5: the format line, a Files: paragraph and its License:.
[ "$(head -n 1 "$doc/copyright")" = \
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" ] ||
	fail "copyright: not DEP-5 (Format:)"
grep -q '^Files: \*$' "$doc/copyright" || fail "copyright: no Files: *"
grep -q '^License: [^ ]' "$doc/copyright" || fail "copyright: no License:"
# changelog.Debian.gz: gzip -9n (no name, FLG 0; no time stamp), first
# entry for this version, signed by the package's maintainer.
gzip -t "$doc/changelog.Debian.gz" || fail "changelog.Debian.gz: not gzip"
hdr=$(od -An -tx1 -N8 "$doc/changelog.Debian.gz" | tr -d ' \n')
[ "$hdr" = 1f8b080000000000 ] ||
	fail "changelog.Debian.gz: header $hdr, not gzip -n"
zcat "$doc/changelog.Debian.gz" > "$T/changelog"
read -r first < "$T/changelog"
[ "${first#"errwatch ($dversion) "}" != "$first" ] ||
	fail "changelog: first entry is not errwatch ($dversion): $first"
grep -qF -- " -- $maint  " "$T/changelog" || fail "changelog: not signed by $maint"
echo "install: $(basename "$DEB"): Depends: $depends"

# lintian: no error (E:). Warnings and notes are shown, and pass.
if need_tool lintian "lintian on the .deb"; then
	lintian_rc=0
	lintian --fail-on error "$DEB" > "$T/lintian.out" 2>&1 || lintian_rc=$?
	grep -v 'running with root privileges' "$T/lintian.out" |
	    sed 's/^/install: lintian: /' || true
	! grep -q '^E: ' "$T/lintian.out" || fail "lintian reports errors"
	[ "$lintian_rc" -eq 0 ] || fail "lintian exit status $lintian_rc"
	echo "install: lintian: no error"
fi

artifacts > "$T/build.after"
diff "$T/build.before" "$T/build.after" ||
	fail "install or cpack left files in $EW_BUILD"
if [ ${#missing[@]} -gt 0 ]; then
	echo "install: SKIP: all else passed, but ${missing[*]} missing"
	exit 77
fi
echo "install: all passed"
