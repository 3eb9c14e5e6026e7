@testable import WebConsole
import XCTest

/// Failed logins per key in a sliding window, on a clock the test drives.
final class LoginLimiterTests: XCTestCase {
    func testTheLimitRefusesUntilTheOldestFailureLeavesTheWindow() {
        var limiter = LoginLimiter(limit: 3, window: 60)
        let keys = ["user:ann", "addr:127.0.0.1"]
        for t in [0.0, 10, 20] {
            XCTAssertNil(limiter.retryAfter(keys, now: t))
            limiter.recordFailure(keys, now: t)
        }
        XCTAssertEqual(limiter.retryAfter(keys, now: 30), 30, "the failure at 0 leaves the window at 60")
        XCTAssertNil(limiter.retryAfter(["user:bob"], now: 30), "another name from another address is not held back")
        XCTAssertNotNil(limiter.retryAfter(["user:bob", "addr:127.0.0.1"], now: 30), "the same address is")
        XCTAssertEqual(limiter.retryAfter(["user:ann"], now: 59.5), 0.5)
        XCTAssertNil(limiter.retryAfter(keys, now: 60))
    }

    func testSuccessClearsTheUserButNotTheAddress() {
        var limiter = LoginLimiter(limit: 2, window: 100)
        limiter.recordFailure(["user:ann", "addr:a"], now: 0)
        limiter.recordFailure(["user:bob", "addr:a"], now: 1)
        limiter.recordSuccess("user:ann")
        XCTAssertNil(limiter.retryAfter(["user:ann"], now: 2))
        XCTAssertNotNil(limiter.retryAfter(["addr:a"], now: 2))
    }
}
