#!/usr/bin/env bash
# The wire, transport and broker suites under ThreadSanitizer. Any race report fails the run:
# TSan's exit code is turned on for the first report (halt_on_error=0 keeps all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0 exitcode=66 second_deadlock_stack=1}"
# First make sure a clean report means something: an unguarded counter shared by two threads
# must be reported by this toolchain's TSan.
mkdir -p .build-tsan
cat > .build-tsan/canary.swift <<'SWIFT'
import Foundation
final class Counter: @unchecked Sendable { var n = 0 }
let c = Counter(), g = DispatchGroup()
for _ in 0..<2 { g.enter(); Thread.detachNewThread { for _ in 0..<10_000 { c.n += 1 }; g.leave() } }
g.wait()
print(c.n)
SWIFT
swiftc -sanitize=thread -Onone .build-tsan/canary.swift -o .build-tsan/canary
canary_output=$(TSAN_OPTIONS=exitcode=0 .build-tsan/canary 2>&1 || true)
if ! grep -q "WARNING: ThreadSanitizer" <<<"$canary_output"; then
    echo "make tsan: ThreadSanitizer did not report a known race; its silence below would prove nothing" >&2
    exit 1
fi

# FACEGATE_TSAN: `Locked` on pthread mutexes TSan can see (see Sources/ProcessSupport/Locked.swift).
swift build --sanitize=thread --build-path .build-tsan --build-tests -Xswiftc -DFACEGATE_TSAN
swift test --sanitize=thread --build-path .build-tsan --skip-build -Xswiftc -DFACEGATE_TSAN \
    --filter 'WireProtocolTests|WireTransportTests|LockBrokerTests|BrokerCoreTests|ProcessTests.BrokerTests' 2>&1 \
    | tee .build-tsan/tsan-test.log
if grep -q "WARNING: ThreadSanitizer" .build-tsan/tsan-test.log; then
    echo "make tsan: ThreadSanitizer reported $(grep -c 'WARNING: ThreadSanitizer' .build-tsan/tsan-test.log) race(s)" >&2
    exit 1
fi
echo "make tsan: no race reported"
