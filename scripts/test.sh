#!/usr/bin/env bash
# `make test` after the debug build: every test, and the packages built beside them.
#
# Most of the suites wait on real processes, sockets and timeouts rather than compute, so the
# release build of the packages (scripts/build-deb.sh, about ten CPU-minutes) and then their
# tests (DebPackageTests: contents, lintian) run meanwhile at the lowest CPU priority: they take
# the cores the other tests leave idle and yield them whenever a test computes (the timing
# tests hold under far heavier load). Their output is printed at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
out=${FACEGATE_DEB_DIR:-$PWD/.build-deb}
mkdir -p "$out"
log="$out/build-deb.log"
tests="$out/deb-tests.log"
# The test bundle run directly: a second `swift test` would wait for the first one's lock.
bundle="$("$swift" build ${BUILD_FLAGS:-} --show-bin-path)/facegatePackageTests.xctest"
[ -x "$bundle" ] || { echo "test: no test bundle at $bundle (run make build)" >&2; exit 1; }

echo "test: building the packages and running DebPackageTests in the background (nice 19): $log, $tests"
rm -f "$tests"
setsid nice -n 19 bash -c '
  scripts/build-deb.sh > "$1" 2>&1 || { echo "test: scripts/build-deb.sh failed" > "$2"; exit 1; }
  "$3" DeployTests.DebPackageTests > "$2" 2>&1' _ "$log" "$tests" "$bundle" &
deb=$!
# The background work (its own process group: setsid) must not outlive an interrupted run.
trap 'kill -- -$deb 2>/dev/null; exit 130' INT TERM

status=0
"$swift" test ${BUILD_FLAGS:-} --skip-build --skip DebPackageTests || status=$?

debstatus=0
wait "$deb" || debstatus=$?
echo "test: the packages (scripts/build-deb.sh, last lines of $log):"
tail -n 4 "$log"
echo "test: DebPackageTests ($tests):"
cat "$tests"
if [ "$debstatus" -ne 0 ]; then
  grep -q "build-deb.sh failed" "$tests" 2>/dev/null && tail -n 60 "$log" >&2
  echo "test: the packages or their tests failed" >&2
  status=1
fi
exit $status
