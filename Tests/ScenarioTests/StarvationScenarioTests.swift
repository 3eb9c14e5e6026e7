import BrokerCore
import Foundation
import TestSupport
import WireProtocol
import WireTransport
import XCTest

/// Issue 16's acceptance test: S1 on every real process while a test peer starves the
/// broker's capture socket with 100 half frames and 3000 idle connects (default limits).
final class StarvationScenarioTests: ScenarioCase {
    func testS1WhileTheCaptureSocketIsStarved() throws {
        let p = try makePipeline()
        let broker = try XCTUnwrap(p.broker)
        let capturePath = p.socketsDirectory + "/capture.sock"
        let idleRSS = try XCTUnwrap(Self.residentKiB(pid: broker.pid), "no VmRSS for the broker")

        // A frame of the size this camera sends (480x360 RGB), cut in half.
        let width: UInt32 = 480, height: UInt32 = 360
        let frame = VideoFrame(camera: PipelineOptions.camera, sequence: 1, captureMonotonicNs: 1, captureWallNs: 1,
                               format: .rgb24, width: width, height: height, stride: width * 3,
                               pixels: PixelData([UInt8](repeating: 0x55, count: Int(width * height * 3))))
        let whole = MessageCodec.encodeFrame(.frame(frame))
        let half = Array(whole.prefix(whole.count / 2))

        let attacks = DispatchGroup()
        let results = AttackResults()
        // 100 half frames, 20 at a time (well under the 64 identified peers a socket serves):
        // each peer says hello, sends half a frame, and waits for the broker to close it.
        attacks.enter()
        Thread.detachNewThread {
            defer { attacks.leave() }
            for batch in 0..<5 {
                let peers = DispatchGroup()
                for n in 0..<20 {
                    peers.enter()
                    Thread.detachNewThread {
                        defer { peers.leave() }
                        let hello = Hello(role: .capture, name: "half-\(batch)-\(n)", pid: UInt32(getpid()), camera: PipelineOptions.camera)
                        // The idle-connect flood below may close this peer as the oldest silent
                        // one before its hello is read (by design: a flood never locks a camera
                        // out for good, it reconnects). Like a capture, it tries again.
                        var connected: MessageConnection?
                        for attempt in 0..<50 where connected == nil {
                            if attempt > 0 { Thread.sleep(forTimeInterval: 0.05) }
                            connected = try? MessageConnection.connect(path: capturePath, hello: hello, expecting: [.broker])
                        }
                        guard let peer = connected else { return results.add(refused: 1) }
                        defer { peer.close() }
                        try? peer.sendRaw(half)
                        peer.socket.setReceiveTimeout(seconds: 60)
                        do {
                            while true { _ = try peer.receive() }
                        } catch WireError.timedOut {
                            results.add(held: 1)
                        } catch {
                            results.add(closed: 1)
                        }
                    }
                }
                peers.wait()
            }
        }
        // 3000 idle connects, at most 64 open at once.
        attacks.enter()
        Thread.detachNewThread {
            defer { attacks.leave() }
            var open: [UnixSocket] = []
            for _ in 0..<3000 {
                if let socket = try? UnixSocket.connect(path: capturePath) { open.append(socket) }
                if open.count > 64 { open.removeFirst().close() }
            }
            open.forEach { $0.close() }
        }
        // The broker's resident memory, sampled until the attacks are over.
        let sampling = DispatchGroup()
        sampling.enter()
        Thread.detachNewThread {
            defer { sampling.leave() }
            while attacks.wait(timeout: .now() + 0.05) == .timedOut {
                if let rss = Self.residentKiB(pid: broker.pid) { results.sample(rss: rss) }
            }
        }

        // S1, meanwhile.
        p.begin()
        try touchAndShow(p)

        XCTAssertEqual(attacks.wait(timeout: .now() + 180), .success, "the attack peers never finished")
        sampling.wait()
        assertSettledUnlocks(p, ["DC006": 1])
        let rows = audit(p)
        let unlock = try XCTUnwrap(rows.first { $0.kind == .unlock })
        XCTAssertEqual(unlock.member?.name, "obama")
        XCTAssertEqual(unlock.unlockedLocks, ["DC006"])
        XCTAssertEqual(try unlock.snapshot()?.triggeredLocks, ["DC006"])
        XCTAssertEqual(Set(rows.map(\.kind)).subtracting([.unlock, .alreadyUnlocked]), [], auditText(p))

        XCTAssertEqual(results.closed, 100, "half frames closed by the broker (held: \(results.held), refused: \(results.refused))")
        XCTAssertTrue(broker.waitForLine("msg=\"closing connection: message incomplete after 5 s: \(half.count - 4) of \(whole.count - 4) body bytes received\"",
                                         "socket=\(capturePath)", count: 100), p.dump())
        XCTAssertTrue(broker.isRunning)
        let peak = max(results.peakRSS, Self.residentKiB(pid: broker.pid) ?? 0)
        XCTAssertLessThan(peak, 2 * idleRSS, "broker RSS went from \(idleRSS) KiB idle to \(peak) KiB under attack")
    }

    /// VmRSS of `pid` in KiB, from /proc.
    static func residentKiB(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
}
