#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR] [SIZE_MiB]: what `make bench` runs. Today that is
# the --scan benchmark (bench/scan.sh); see bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/scan.sh" "$@"
