# Install and package (SPEC §10): `cmake --install --prefix /usr` into a
# DESTDIR gives exactly Debian's layout; another prefix moves /etc and the
# unit under it and rewrites the paths inside; `cpack -G DEB` in the temp
# dir gives a package errwatch with the runtime libraries in Depends, the
# config as its only conffile and the same files, and leaves nothing in the
# build dir. Needs no Redis and no root.
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

# --- 1. prefix /usr: Debian's layout ------------------------------------
want_files='644 /etc/errwatch/errwatch.yaml
644 /lib/systemd/system/errwatch.service
755 /usr/sbin/errwatchd
644 /usr/share/doc/errwatch/README.md
644 /usr/share/errwatch/error-codes.tsv'
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
cmp -s "$R/lib/systemd/system/errwatch.service" "$EW_SRC/systemd/errwatch.service" ||
	fail "with prefix /usr the unit must be installed unchanged"
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
echo "install: prefix /usr: $(echo "$want_files" | wc -l) files in place"

# --- 2. another prefix -----------------------------------------------------
P=/opt/errwatch
DESTDIR=$T/opt cmake --install "$EW_BUILD" --prefix "$P" > "$T/install2.log"
got=$(listing "$T/opt")
want2="644 $P/etc/errwatch/errwatch.yaml
644 $P/lib/systemd/system/errwatch.service
755 $P/sbin/errwatchd
644 $P/share/doc/errwatch/README.md
644 $P/share/errwatch/error-codes.tsv"
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
echo "install: prefix $P: files and paths moved"

# --- 3. the .deb ------------------------------------------------------------
command -v cpack >/dev/null || fail "cpack missing"
command -v dpkg-deb >/dev/null || fail "dpkg-deb missing"
[ -f "$EW_BUILD/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $EW_BUILD"
(cd "$T" && cpack -G DEB -B "$T/pkg" --config "$EW_BUILD/CPackConfig.cmake") \
    > "$T/cpack.log" 2>&1 || { cat "$T/cpack.log"; fail "cpack failed"; }
debs=("$T"/pkg/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "want one .deb, got: ${debs[*]}"
DEB=${debs[0]}
version=$(sed -n 's/^project(errwatch VERSION \([0-9.]*\).*/\1/p' "$EW_SRC/CMakeLists.txt")
arch=$(dpkg --print-architecture)
[ "$(basename "$DEB")" = "errwatch_${version}_${arch}.deb" ] ||
	fail "package file $(basename "$DEB")"
dpkg-deb -I "$DEB" > "$T/info"
field() {
	dpkg-deb -f "$DEB" "$1"
}
[ "$(field Package)" = errwatch ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer:"
[ -n "$(field Description)" ] || fail "no Description:"
depends=$(field Depends)
# The runtime libraries; libsystemd0 once errwatchd links libsystemd (it
# does as soon as the daemon calls notify_*; --as-needed drops it before).
need="libc6 libuv1 libpcre2-8-0 libhiredis0.14 libyaml-0-2"
dpkg-deb --fsys-tarfile "$DEB" | tar -xf - -C "$T" ./usr/sbin/errwatchd
if readelf -d "$T/usr/sbin/errwatchd" | grep -q 'NEEDED.*libsystemd\.so'; then
	need="$need libsystemd0"
fi
for p in $need; do
	printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
	    grep -qxF "$p" || fail "Depends lacks $p: $depends"
done
conffiles=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)
[ "$conffiles" = /etc/errwatch/errwatch.yaml ] || fail "conffiles: $conffiles"
# No maintainer scripts: DynamicUser needs no account.
ctrl=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -tf - | sed 's#^\./##' | grep . |
    LC_ALL=C sort | tr '\n' ' ')
[ "$ctrl" = "conffiles control md5sums " ] || fail "control members: $ctrl"
got=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print $1, $2, $6 }' |
    sed 's# \./# /#' | LC_ALL=C sort -k3)
want_deb=$(printf '%s\n' "$want_files" | awk '{
	m = $1 == 755 ? "-rwxr-xr-x" : "-rw-r--r--"; print m, "root/root", $2 }')
[ "$got" = "$want_deb" ] || fail "package files:
$got
want:
$want_deb"
# The package holds what cmake --install put in place (the binary is
# stripped, so only the other files are compared).
mkdir "$T/deb"
dpkg-deb -x "$DEB" "$T/deb"
for f in /etc/errwatch/errwatch.yaml /lib/systemd/system/errwatch.service \
    /usr/share/doc/errwatch/README.md /usr/share/errwatch/error-codes.tsv; do
	cmp -s "$T/deb$f" "$R$f" || fail "package $f differs from the install"
done
echo "install: $(basename "$DEB"): Depends: $depends"

artifacts > "$T/build.after"
diff "$T/build.before" "$T/build.after" ||
	fail "install or cpack left files in $EW_BUILD"
echo "install: all passed"
