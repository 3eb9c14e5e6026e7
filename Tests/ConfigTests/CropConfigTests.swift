import FacegateConfig
import TestSupport
import XCTest

/// `[crops]`: retention of the face crops, defaults for a small disk, each mistake at its line.
final class CropConfigTests: XCTestCase {
    func testDefaultsFitASmallDisk() throws {
        let config = try FacegateConfiguration.parse(text: "")
        XCTAssertEqual(config.crops, CropSettings(enabled: true, maxAgeDays: 30, maxTotalMB: 200, pruneInterval: 600))
        XCTAssertEqual(config.crops.maxTotalBytes, 200_000_000)
        XCTAssertEqual(config.crops.maxAgeNanoseconds, 30 * 86_400 * 1_000_000_000)
    }

    func testExampleFileSaysTheDefaults() throws {
        let path = Paths.packageRoot.appendingPathComponent("deploy/facegate.example.toml").path
        XCTAssertEqual(try FacegateConfiguration.load(path: path).crops, CropSettings())
    }

    func testEveryKeyRead() throws {
        let config = try FacegateConfiguration.parse(text: """
            [crops]
            enabled = false
            max_age_days = 7.5
            max_total_mb = 50
            prune_interval = 0.5
            """)
        XCTAssertEqual(config.crops, CropSettings(enabled: false, maxAgeDays: 7.5, maxTotalMB: 50, pruneInterval: 0.5))
        XCTAssertEqual(config.crops.maxAgeNanoseconds, 648_000_000_000_000)
        XCTAssertEqual(config.crops.maxTotalBytes, 50_000_000)
    }

    func testMistakesNamedAtTheirLines() {
        let text = """
            [recognizer]
            upsample = 1

            [crops]
            max_age_days = 0
            max_total_mb = -5
            prune_interval = "often"
            enabled = "yes"
            max_totl_mb = 3
            """
        assertProblem(text, at: "max_age_days", "crops.max_age_days: must be greater than 0 and at most 36500, not 0")
        assertProblem(text, at: "max_total_mb", "crops.max_total_mb: must be greater than 0 and at most 1000000, not -5")
        assertProblem(text, at: "prune_interval", "crops.prune_interval")
        assertProblem(text, at: "enabled", "crops.enabled")
        assertProblem(text, at: "max_totl_mb", "unknown key (did you mean \"max_total_mb\"?)")
        XCTAssertEqual(FacegateConfiguration.check(text: text).count, 5)
    }
}
