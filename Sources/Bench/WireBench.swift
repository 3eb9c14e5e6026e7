import Foundation
import ProcessSupport
import WireProtocol
import WireTransport

/// 640x480 RGB frames through a WireProtocol connection (encode, gathered send, streaming
/// decode, validation) against a raw Unix-socket copy of the same bytes, in the same run,
/// alternating rounds so machine drift hits both alike.
enum WireBench {
    static func run(frames: Int = 1500, rounds: Int = 5) throws {
        let width: UInt32 = 640, height: UInt32 = 480, stride: UInt32 = 640 * 3
        let pixels = PixelData((0..<Int(stride * height)).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let frame = VideoFrame(camera: "cam-a", sequence: 0, captureMonotonicNs: 1, captureWallNs: 1, format: .rgb24,
                               width: width, height: height, stride: stride, pixels: pixels)
        let frameBytes = MessageCodec.encodeFrame(.frame(frame)).count
        let dir = NSTemporaryDirectory() + "fgbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var wireRates: [Double] = [], rawRates: [Double] = [], ratios: [Double] = []
        for round in 0..<rounds {
            let wire = try measureWire(frame: frame, frames: frames, path: dir + "/w\(round).sock")
            let raw = try measureRaw(frameBytes: frameBytes, frames: frames, path: dir + "/r\(round).sock")
            wireRates.append(wire); rawRates.append(raw); ratios.append(wire / raw)
        }
        let mb = Double(frameBytes) / 1_000_000
        print("wire: 640x480 rgb24 frames (\(frameBytes) bytes each), \(frames) frames x \(rounds) rounds, median of rounds")
        print(String(format: "  WireProtocol connection  %8.0f frames/s  %8.0f MB/s", median(wireRates), median(wireRates) * mb))
        print(String(format: "  raw unix socket copy     %8.0f frames/s  %8.0f MB/s", median(rawRates), median(rawRates) * mb))
        print(String(format: "  ratio wire/raw           %8.2f  (min %.2f, max %.2f)", median(ratios), ratios.min()!, ratios.max()!))
    }

    /// Frames/s received and decoded through MessageServer/MessageConnection.
    static func measureWire(frame: VideoFrame, frames: Int, path: String) throws -> Double {
        let done = StopFlag()
        var options = MessageServer.Options(path: path, localHello: Hello(role: .broker, name: "bench", pid: 1),
                                            acceptedRoles: [.capture])
        options.maxBodyLength = 4 << 20
        let server = MessageServer(options: options, log: Log(component: "bench")) { connection in
            var received = 0
            while received < frames {
                if case .frame = try connection.receive() { received += 1 }
            }
            done.stop()
        }
        try server.start()
        defer { server.stop() }
        let client = try MessageConnection.connect(path: path, hello: Hello(role: .capture, name: "bench", pid: 1, camera: "cam-a"),
                                                   expecting: [.broker])
        defer { client.close() }
        let start = MonotonicClock.nowNanoseconds()
        var f = frame
        for seq in 0..<frames {
            f.sequence = UInt64(seq)
            try client.send(.frame(f))
        }
        done.waitForever()
        return Double(frames) / (Double(MonotonicClock.nowNanoseconds() - start) / 1e9)
    }

    /// Frames/s for the same number of bytes written and read on a plain Unix stream socket.
    static func measureRaw(frameBytes: Int, frames: Int, path: String) throws -> Double {
        let listener = try UnixSocket.listen(path: path)
        defer { listener.close(); unlink(path) }
        let client = try UnixSocket.connect(path: path)
        defer { client.close() }
        let server = try listener.accept()
        defer { server.close() }
        let done = StopFlag()
        let total = frameBytes * frames
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            var got = 0
            while got < total {
                guard let n = try? buffer.withUnsafeMutableBytes({ try server.read(into: $0) }), n > 0 else { break }
                got += n
            }
            done.stop()
        }
        let payload = [UInt8](repeating: 7, count: frameBytes)
        let start = MonotonicClock.nowNanoseconds()
        for _ in 0..<frames { try client.writeAll(payload) }
        done.waitForever()
        return Double(frames) / (Double(MonotonicClock.nowNanoseconds() - start) / 1e9)
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
