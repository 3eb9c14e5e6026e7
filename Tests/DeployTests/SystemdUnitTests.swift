import Foundation
import TestSupport
import XCTest

/// deploy/systemd as shipped, read by the host's own systemd-analyze (offline: no systemd needs
/// to run here). The boot test (`make package-test`) shows the same figures from a booted
/// systemd and the behaviour behind each setting.
final class SystemdUnitTests: XCTestCase {
    /// The processes that ping systemd's watchdog.
    static let watchedServices = ["facegate-broker.service", "facegate-capture@.service",
                                  "facegate-onvif@.service", "facegate-recognizer@.service"]
    /// Every unit the package ships: the console opens no door and pings no watchdog, but is
    /// hardened like the rest.
    static let services = watchedServices + ["facegate-web.service"]

    func unit(_ name: String) throws -> String {
        try String(contentsOf: Paths.packageRoot.appendingPathComponent("deploy/systemd/\(name)"), encoding: .utf8)
    }

    /// Every `Key=value` line of the unit, in order (comments and sections left out).
    func settings(_ name: String, _ key: String) throws -> [String] {
        try unit(name).split(separator: "\n").compactMap { line in
            line.hasPrefix("\(key)=") ? String(line.dropFirst(key.count + 1)) : nil
        }
    }

    func testEveryServiceIsBelowTwoInSystemdAnalyzeSecurity() throws {
        for name in Self.services {
            let path = Paths.packageRoot.appendingPathComponent("deploy/systemd/\(name)").path
            let result = try runTool("systemd-analyze", ["security", "--offline=true", "--no-pager", path])
            XCTAssertEqual(result.status, 0, "systemd-analyze security \(name):\n\(result.output)")
            let figure = exposure(in: result.output)
            XCTAssertNotNil(figure, "no overall exposure level in:\n\(result.output)")
            print("systemd-analyze security \(name): \(figure.map { String($0) } ?? "?")")
            XCTAssertLessThan(figure ?? 10, 2.0, "\(name) is exposed:\n\(result.output.split(separator: "\n").filter { $0.contains("✗") }.joined(separator: "\n"))")
        }
    }

    func exposure(in output: String) -> Double? {
        guard let line = output.split(separator: "\n").last(where: { $0.contains("Overall exposure level") }),
              let colon = line.lastIndex(of: ":") else { return nil }
        return Double(line[line.index(after: colon)...].split(separator: " ").first ?? "")
    }

    /// systemd's watchdog sends SIGABRT; the Swift runtime's backtracer catches a signal sent by
    /// another process, prints and returns, and the process carries on. TimeoutAbortSec bounds
    /// the wait for the backtrace; SWIFT_BACKTRACE names the static reporter the package ships
    /// (a static executable finds none of its own; the dynamic one cannot load under
    /// MemoryDenyWriteExecute=yes).
    func testWatchdogAbortIsBoundedAndBacktraced() throws {
        for name in Self.watchedServices {
            let watchdog = try XCTUnwrap(try settings(name, "WatchdogSec").last.flatMap { Int($0) }, "\(name): WatchdogSec")
            XCTAssertGreaterThan(watchdog, 0, name)
            let abort = try XCTUnwrap(try settings(name, "TimeoutAbortSec").last.flatMap { Int($0) }, "\(name): TimeoutAbortSec")
            XCTAssertLessThanOrEqual(abort, 10, "\(name): a hung process is killed within WatchdogSec + TimeoutAbortSec")
            XCTAssertEqual(try settings(name, "KillMode"), ["mixed"], "\(name): the SIGABRT must spare the backtracer child")
            let backtrace = try settings(name, "Environment").filter { $0.hasPrefix("SWIFT_BACKTRACE=") }
            XCTAssertEqual(backtrace.count, 1, "\(name): one SWIFT_BACKTRACE")
            let options = Set((backtrace.first ?? "").dropFirst("SWIFT_BACKTRACE=".count).split(separator: ",").map(String.init))
            XCTAssertTrue(options.isSuperset(of: ["enable=yes", "interactive=no",
                                                  "swift-backtrace=/usr/local/lib/facegate/swift-backtrace-static"]),
                          "\(name): \(options.sorted())")
        }
        XCTAssertEqual(try settings("facegate-web.service", "WatchdogSec"), [], "the console pings no watchdog")
        XCTAssertEqual(try settings("facegate-web.service", "KillMode"), ["mixed"])
        XCTAssertEqual(try settings("facegate-web.service", "Environment").filter { $0.hasPrefix("SWIFT_BACKTRACE=") }.count, 1)
    }

    func testNetworkIsLimitedPerService() throws {
        for name in Self.services {
            XCTAssertEqual(try settings(name, "IPAddressDeny"), ["any"], name)
            XCTAssertEqual(try settings(name, "ProtectProc"), ["invisible"], name)
            XCTAssertEqual(try settings(name, "ProcSubset"), ["pid"], name)
            XCTAssertEqual(try settings(name, "RemoveIPC"), ["yes"], name)
            XCTAssertEqual(try settings(name, "SystemCallFilter").first, "@system-service", name)
        }
        // The recognizer reaches the broker over a Unix socket only.
        XCTAssertEqual(try settings("facegate-recognizer@.service", "PrivateNetwork"), ["yes"])
        XCTAssertEqual(try settings("facegate-recognizer@.service", "IPAddressAllow"), [])
        // MQTT and metrics on this host; cameras on the LAN (other addresses: a drop-in).
        XCTAssertEqual(try settings("facegate-broker.service", "IPAddressAllow"), ["localhost"])
        // The console: the reverse proxy on this host (a LAN listener: a drop-in).
        XCTAssertEqual(try settings("facegate-web.service", "IPAddressAllow"), ["localhost"])
        for name in ["facegate-capture@.service", "facegate-onvif@.service"] {
            let allowed = try settings(name, "IPAddressAllow").joined(separator: " ").split(separator: " ")
            XCTAssertTrue(Set(allowed).isSuperset(of: ["localhost", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
                          "\(name): \(allowed)")
        }
    }
}

/// Runs a tool found on PATH (or an absolute path) to its end; stdout and stderr together.
func runTool(_ tool: String, _ arguments: [String], environment: [String: String]? = nil,
             directory: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    if tool.hasPrefix("/") {
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
    }
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    let out = TemporaryDirectory(prefix: "fg-tool")
    let log = out.file("output")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
}
