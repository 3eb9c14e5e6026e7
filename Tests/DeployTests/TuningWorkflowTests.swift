import Foundation
import TestSupport
import XCTest

/// deploy/README.md §5 "Tune match_threshold on a frame from the camera", run as written: the
/// commands are read from the guide's block (a change there changes what runs here) and run by
/// /bin/sh against the shipped runit tree, with the installed paths mapped to this test's
/// (`/run/facegate` → its sockets directory, `/tmp/cam-a` → a temporary directory, the
/// executables on PATH, FACEGATE_CONFIG for `/etc/facegate/facegate.toml`).
final class TuningWorkflowTests: XCTestCase {
    static let heading = "### Tune `match_threshold` on a frame from the camera"

    /// The first ```sh block under `heading`, one command per line (`\` continuations joined,
    /// comments dropped).
    static func commands() throws -> [String] {
        let guide = try String(contentsOf: Paths.packageRoot.appendingPathComponent("deploy/README.md"), encoding: .utf8)
        let lines = guide.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let heading = lines.firstIndex(of: Self.heading),
              let open = lines[heading...].firstIndex(of: "```sh"),
              let close = lines[(open + 1)...].firstIndex(of: "```") else {
            throw GuideError(text: "deploy/README.md has no \"\(Self.heading)\" section with a ```sh block")
        }
        var commands: [String] = []
        var pending = ""
        for line in lines[(open + 1)..<close] {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            if text.hasSuffix("\\") { pending += text.dropLast() + " "; continue }
            commands.append(pending + text)
            pending = ""
        }
        return commands
    }

    func testTheGuidesTuningWorkflowSavesAFrameAndFacesCheckFindsTheMember() throws {
        continueAfterFailure = false
        let commands = try Self.commands()
        XCTAssertEqual(commands.count, 3, "\(commands)")
        // The guide's lines run as root here: only the programs this workflow is about.
        for command in commands {
            let program = command.split(separator: " ").first.map(String.init) ?? ""
            XCTAssertTrue(["rm", "mkdir", "facegate-tap", "facegate"].contains(program), "unexpected command in the guide: \(command)")
            if program == "rm" { XCTAssertTrue(command.hasPrefix("rm -rf /tmp/cam-a "), command) }
        }
        XCTAssertTrue(commands.contains { $0.hasPrefix("facegate-tap attach /run/facegate/capture-cam-a.ctl ") }, "\(commands)")
        XCTAssertTrue(commands.contains { $0.hasPrefix("facegate faces check ") }, "\(commands)")

        let tree = try RunitTree()
        // The tree's mosquitto outlives the tree object otherwise (the teardown block holds it).
        addTeardownBlock { tree.stop(); tree.mosquitto.stop() }
        let status = try tree.waitForPipeline()
        XCTAssertTrue(status.connected && status.captureLinked, "\(status)\n\(tree.dump())")

        let frames = TemporaryDirectory(prefix: "fgtune")
        let output = try run(commands, tree: tree, frames: frames.path)
        let saved = try FileManager.default.contentsOfDirectory(atPath: frames.path)
        XCTAssertEqual(saved.count, 1, "\(saved)")
        XCTAssertTrue(saved.first?.hasPrefix("cam-a-") == true && saved.first?.hasSuffix(".png") == true, "\(saved)")
        // The camera shows obama2.jpg; obama is enrolled from obama.jpg with a grant for DC006.
        XCTAssertTrue(output.contains("\(frames.path)/\(saved[0]): 1 face; gallery: 1 members"), output)
        let verdict = try XCTUnwrap(output.split(separator: "\n").first { $0.contains("=> ") }, output)
        XCTAssertTrue(verdict.contains("=> match: obama at 0."), output)
        XCTAssertTrue(verdict.hasSuffix("may open DC006 when touched"), output)

        // The same workflow with the tap's default format (PPM): the same frame, the same distance.
        let plain = TemporaryDirectory(prefix: "fgtune")
        let ppmCommands = commands.map {
            $0.replacingOccurrences(of: " --frame-format png", with: "").replacingOccurrences(of: "*.png", with: "*.ppm")
        }
        XCTAssertNotEqual(ppmCommands, commands, "the guide's tap line no longer asks for PNG")
        let ppmOutput = try run(ppmCommands, tree: tree, frames: plain.path)
        let ppm = try FileManager.default.contentsOfDirectory(atPath: plain.path)
        XCTAssertTrue(ppm.count == 1 && ppm[0].hasSuffix(".ppm"), "\(ppm)")
        let ppmVerdict = try XCTUnwrap(ppmOutput.split(separator: "\n").first { $0.contains("=> ") }, ppmOutput)
        XCTAssertEqual(ppmVerdict, verdict, "PNG and PPM of the camera's still image")
    }

    /// Runs each command with /bin/sh as the guide's reader would, the paths mapped; every one
    /// must succeed. Returns what the last one printed.
    private func run(_ commands: [String], tree: RunitTree, frames: String) throws -> String {
        let path = Paths.productsDirectory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        var last = ""
        for command in commands {
            let mapped = command.replacingOccurrences(of: "/run/facegate", with: tree.socketsDirectory)
                .replacingOccurrences(of: "/tmp/cam-a", with: frames)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", mapped]
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = path
            environment["FACEGATE_CONFIG"] = tree.configURL.path
            process.environment = environment
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // The tap exits after one frame: the camera sends two a second.
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            print("$ \(mapped)\n\(stdout)\(stderr)")
            XCTAssertEqual(process.terminationStatus, 0, "\(mapped)\n\(stdout)\(stderr)\n\(tree.dump())")
            last = stdout
        }
        return last
    }
}

struct GuideError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
