#!/usr/bin/env bash
# The wire, transport and broker suites under ThreadSanitizer. Any race report fails the run:
# TSan's exit code is turned on for the first report (halt_on_error=0 keeps all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0 exitcode=66 second_deadlock_stack=1}"
swift build --sanitize=thread --build-path .build-tsan --build-tests
swift test --sanitize=thread --build-path .build-tsan --skip-build \
    --filter 'WireProtocolTests|WireTransportTests|LockBrokerTests|BrokerCoreTests|ProcessTests.BrokerTests' 2>&1 \
    | tee .build-tsan/tsan-test.log
if grep -q "WARNING: ThreadSanitizer" .build-tsan/tsan-test.log; then
    echo "make tsan: ThreadSanitizer reported $(grep -c 'WARNING: ThreadSanitizer' .build-tsan/tsan-test.log) race(s)" >&2
    exit 1
fi
echo "make tsan: no race reported"
