import FacegateConfig
import Foundation
import Vocabulary
import XCTest

/// `confirm_frames`, `confirm_window` and `liveness`: site defaults in `[decision]`, per lock in
/// `[[locks]]`, figures in `[liveness]`, as `facegate config check` reads them.
final class LockPolicyConfigTests: XCTestCase {
    func testLocksTakeTheSiteDefaultsUnlessTheySayOtherwise() throws {
        let config = try FacegateConfiguration.parse(text: """
            [[locks]]
            id = "front"
            liveness = "planar"
            confirm_frames = 3
            confirm_window = 1.5
            [[locks]]
            id = "back"
            [decision]
            confirm_frames = 2
            liveness = "blink"
            [liveness]
            parallax = 0.05
            eye_open = 0.3
            planar_frames = 6
            """)
        let front = config.locks[0], back = config.locks[1]
        XCTAssertEqual(front.liveness(config.decision), .planar)
        XCTAssertEqual(front.confirmFrames(config.decision), 3)
        XCTAssertEqual(front.confirmWindow(config.decision), 1.5)
        XCTAssertEqual(back.liveness(config.decision), .blink)
        XCTAssertEqual(back.confirmFrames(config.decision), 2)
        XCTAssertEqual(back.confirmWindow(config.decision), 2)
        XCTAssertEqual(config.liveness, LivenessThresholds(parallax: 0.05, motion: 0.04, eyeClosed: 0.2, eyeOpen: 0.3, planarFrames: 6))
        XCTAssertTrue(config.judgesLiveness)
    }

    /// What tells a recognizer to load the 68-point model at start: a lock judging liveness,
    /// its own or by `[decision]`'s default; `confirm_frames` alone needs no shapes.
    func testJudgesLivenessWhenAnyLockDoes() throws {
        func judges(_ text: String) throws -> Bool { try FacegateConfiguration.parse(text: text).judgesLiveness }
        XCTAssertFalse(try judges("[[locks]]\nid = \"a\"\nconfirm_frames = 3\n"))
        XCTAssertFalse(try judges("[[locks]]\nid = \"a\"\nliveness = \"off\"\n[[locks]]\nid = \"b\"\n"))
        XCTAssertTrue(try judges("[[locks]]\nid = \"a\"\n[[locks]]\nid = \"b\"\nliveness = \"blink\"\n"))
        XCTAssertTrue(try judges("[[locks]]\nid = \"a\"\n[decision]\nliveness = \"planar\"\n"))
        XCTAssertFalse(try judges("[[locks]]\nid = \"a\"\nliveness = \"off\"\n[decision]\nliveness = \"planar\"\n"))
        XCTAssertFalse(try judges("[decision]\nliveness = \"planar\"\n"), "no lock, nothing to judge")
    }

    func testWithoutAnyPolicyKeyEveryLockUsesTheBuiltInDefault() throws {
        let config = try FacegateConfiguration.parse(text: "[[locks]]\nid = \"front\"\n")
        XCTAssertEqual(config.locks[0].liveness(config.decision), LivenessCheck.siteDefault)
        XCTAssertEqual(config.locks[0].confirmFrames(config.decision), 1)
    }

    func testMistakesAreNamedAtTheirKey() {
        let text = """
            [[locks]]
            id = "front"
            liveness = "maybe" # bad mode
            confirm_frames = 0 # too few
            [[locks]]
            id = "back"
            confirm_window = 8 # too long
            confirm_frames = 2
            [decision]
            max_decision_age = 5
            liveness = "planar+blink"
            [liveness]
            eye_closed = 0.3
            eye_open = 0.25 # below closed
            planar_frames = 2 # too few frames
            parallax = -1 # negative
            """
        assertProblem(text, at: "# bad mode", #"locks[0].liveness: must be one of "off", "planar", "blink", "planar+blink", not "maybe""#)
        assertProblem(text, at: "# too few", "locks[0].confirm_frames: must be between 1 and 100")
        assertProblem(text, at: "# too long", "confirm_window 8 of lock \"back\" is longer than decision.max_decision_age (5)")
        assertProblem(text, at: "# below closed", "liveness.eye_open: must be above eye_closed (0.3)")
        assertProblem(text, at: "# too few frames", "liveness.planar_frames: must be between 3 and 32")
        assertProblem(text, at: "# negative", "liveness.parallax:")
        XCTAssertEqual(FacegateConfiguration.check(text: text).count, 6)
    }

    func testASiteWideWindowLongerThanTheDecisionAgeIsNamedInDecision() {
        let text = """
            [[locks]]
            id = "front"
            [decision]
            confirm_frames = 2
            confirm_window = 6 # site window
            """
        assertProblem(text, at: "# site window", "decision.confirm_window: confirm_window 6 of lock \"front\"")
    }
}
