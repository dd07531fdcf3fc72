#!/usr/bin/env bash
# Installs the Debian 12 packages errwatch needs to build, test and run,
# skipping those already there. Idempotent and non-interactive.
set -euo pipefail

# Build: libcurl (errwatch-alerts' HTTP), Jansson (reading alert JSON),
# libmicrohttpd (errwatch-web); errwatch-web serves libjs-dygraphs. The
# tests also need: systemd (systemd-analyze, service_unit.sh), lintian,
# mandoc and man-db (the package and the manual pages, install.sh),
# faketime (a wall clock stepped under the daemon), prometheus-alertmanager
# and curl (errwatch-alerts' end-to-end tests and make demo), chromium and
# prometheus (errwatch-web's browser and scrape tests), redis-sentinel
# (failover tests, SPEC §15), systemd-journal-remote (real journal files
# for the journal input's tests, SPEC §16).
pkgs=(gcc make cmake pkg-config libuv1-dev libpcre2-dev libhiredis-dev
      libyaml-dev libsystemd-dev libcurl4-openssl-dev libjansson-dev
      libmicrohttpd-dev redis-server redis-tools python3 procps valgrind
      cppcheck systemd lintian mandoc man-db faketime libjs-dygraphs
      prometheus-alertmanager curl chromium prometheus redis-sentinel
      systemd-journal-remote)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
