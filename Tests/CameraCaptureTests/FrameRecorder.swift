import CameraCapture
import Foundation
import ProcessSupport
import Vocabulary
import XCTest

/// Collects what a capture session delivers, with the test's own CLOCK_MONOTONIC reading at
/// the moment each frame reached the handler. Keeps pixels of the newest frame only (a clip's
/// worth of RGB frames would be hundreds of MB).
/// Reason for @unchecked: its mutable state is guarded by its NSLock.
final class FrameRecorder: @unchecked Sendable {
    struct Record {
        let seq: UInt64
        let captureMonotonicNs: UInt64
        let captureWallNs: Int64
        let receivedMonotonicNs: UInt64
        let receivedWallNs: Int64
        let width: Int
        let height: Int
        let stride: Int
        let pixelFormat: PixelFormat
        let byteCount: Int
    }

    private let lock = NSLock()
    private var stored: [Record] = []
    private var newest: CapturedFrame?

    var handler: @Sendable (CapturedFrame) -> Void {
        { [self] frame in
            let mono = MonotonicClock.nowNanoseconds()
            let wall = WallClock.nowNanoseconds()
            let record = Record(seq: frame.seq, captureMonotonicNs: frame.captureMonotonicNs, captureWallNs: frame.captureWallNs,
                                receivedMonotonicNs: mono, receivedWallNs: wall, width: frame.width, height: frame.height,
                                stride: frame.stride, pixelFormat: frame.pixelFormat, byteCount: frame.pixels.count)
            lock.lock()
            stored.append(record)
            newest = frame
            lock.unlock()
        }
    }

    var records: [Record] { lock.lock(); defer { lock.unlock() }; return stored }
    var count: Int { lock.lock(); defer { lock.unlock() }; return stored.count }
    var lastFrame: CapturedFrame? { lock.lock(); defer { lock.unlock() }; return newest }

    /// The documented bound (CapturePipeline "Capture time"): a stamp is never after the moment
    /// its frame reaches the handler, and precedes it only by conversion + scheduling delay
    /// (< 1 ms idle for local sources, a few ms over RTSP). `earlySlackNs` absorbs clock-read
    /// granularity (and RTP skew smoothing for RTSP); `maxDelayNs` and `medianDelayNs` are
    /// generous for a loaded 2-core CI machine yet far below what a wrong base time (hours),
    /// a wrong clock (decades) or un-synced file playback (seconds ahead) would give.
    func assertStampsMonotonicAndBounded(earlySlackNs: Int64 = 1_000_000, maxDelayNs: Int64 = 1_000_000_000,
                                         medianDelayNs: Int64 = 100_000_000, file: StaticString = #filePath, line: UInt = #line) {
        let records = records
        XCTAssertFalse(records.isEmpty, "no frames", file: file, line: line)
        for (previous, next) in zip(records, records.dropFirst()) {
            XCTAssertGreaterThan(next.captureMonotonicNs, previous.captureMonotonicNs,
                                 "capture times must increase (seq \(previous.seq) -> \(next.seq))", file: file, line: line)
            XCTAssertEqual(next.seq, previous.seq + 1, "seq must count up without gaps", file: file, line: line)
        }
        let delays = records.map { Int64(bitPattern: $0.receivedMonotonicNs) - Int64(bitPattern: $0.captureMonotonicNs) }
        for (record, delay) in zip(records, delays) {
            XCTAssertGreaterThanOrEqual(delay, -earlySlackNs, "frame \(record.seq) stamped \(-delay) ns in the future", file: file, line: line)
            XCTAssertLessThanOrEqual(delay, maxDelayNs, "frame \(record.seq) stamped \(delay) ns before delivery", file: file, line: line)
            // The wall stamp is the same instant: wall and monotonic gaps to receipt agree.
            let wallDelay = record.receivedWallNs - record.captureWallNs
            XCTAssertLessThan(abs(wallDelay - delay), 5_000_000, "wall stamp of frame \(record.seq) disagrees", file: file, line: line)
        }
        let sorted = delays.sorted()
        let median = sorted[sorted.count / 2]
        XCTAssertLessThanOrEqual(median, medianDelayNs, "median delivery delay \(median) ns", file: file, line: line)
        print("capture delay over \(delays.count) frames: median \(Double(median) / 1e6) ms, max \(Double(sorted.last!) / 1e6) ms, min \(Double(sorted.first!) / 1e6) ms")
    }
}

/// A session that is always stopped, even when an assertion throws.
func withSession(_ uri: String, settings: CaptureSettings = CaptureSettings(), recorder: FrameRecorder,
                 _ body: (CaptureSession) throws -> Void) throws {
    let session = CaptureSession(cameraId: "test-cam", source: try CaptureSource(uri: uri), settings: settings,
                                 onFrame: recorder.handler)
    session.start()
    defer { session.stop() }
    try body(session)
}
