#!/usr/bin/env bash
# `make test` after the debug build: every test, and the packages built beside them.
#
# Most of the suites wait on real processes, sockets and timeouts rather than compute, so the
# release build of the packages (scripts/build-deb.sh, about ten CPU-minutes) runs meanwhile at
# the lowest CPU priority: it takes the cores the tests leave idle and yields them whenever a
# test computes (the timing tests already hold under far heavier load). The package tests run
# last, once the packages exist.
set -uo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
out=${FACEGATE_DEB_DIR:-$PWD/.build-deb}
mkdir -p "$out"
log="$out/build-deb.log"

echo "test: building the packages in the background (nice 19), log in $log"
setsid nice -n 19 scripts/build-deb.sh > "$log" 2>&1 &
deb=$!
# The background build (its own process group: setsid) must not outlive an interrupted run.
trap 'kill -- -$deb 2>/dev/null; exit 130' INT TERM

status=0
"$swift" test ${BUILD_FLAGS:-} --skip-build --skip DebPackageTests || status=$?

if wait "$deb"; then
  tail -n 3 "$log"
  "$swift" test ${BUILD_FLAGS:-} --skip-build --filter DebPackageTests || status=$?
else
  echo "test: scripts/build-deb.sh failed:" >&2
  tail -n 60 "$log" >&2
  status=1
fi
exit $status
