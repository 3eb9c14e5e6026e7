import Foundation
import GalleryStore
import MQTTClient
import ProcessSupport
import TestSupport

/// A keypad touched again and again for a while, as the end-to-end and capacity benches drive
/// a door: each touch waits for its unlock, takes the frame's capture instant from the audit
/// row, and releases the keypad before the next.
struct TouchLoop {
    let keypad: MQTTConnection
    let topic: String
    let unlocks: UnlockRecorder
    let store: GalleryStore
    /// Called with true before each touch and false after its release.
    var touched: (Bool) -> Void = { _ in }

    struct Result {
        /// capture->unlock of each unlocked touch, ms, sorted.
        var latencies: [Double] = []
        var missed = 0
        var touchedNs: UInt64 = 0
        var elapsed = 0.0

        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }

        /// touch->unlock over every touch, a missed one counted as a touch that never unlocked.
        var touchMeanMs: Double {
            latencies.isEmpty ? .nan : Double(touchedNs) / Double(latencies.count + missed) / 1e6
        }
    }

    func run(seconds: Double) -> Result {
        var result = Result()
        let start = MonotonicClock.nowNanoseconds()
        while Double(MonotonicClock.nowNanoseconds() - start) / 1e9 < seconds {
            let before = unlocks.count
            let touch = MonotonicClock.nowNanoseconds()
            touched(true)
            keypad.publish(topic: topic, text: #"{"occupancy":true}"#)
            if waitUntil(timeout: 5, interval: 0.001, { unlocks.count > before }), let arrived = unlocks.last {
                result.touchedNs += arrived - touch
                // The audit row is written right after the publish; give it a moment.
                var captured: UInt64?
                waitUntil(timeout: 2, interval: 0.005) {
                    captured = (try? store.auditTail(limit: 20))?.last(where: { $0.entry.kind == .unlock })
                        .flatMap { $0.entry.captureMonotonicNs }
                    return captured.map { $0 >= touch } ?? false
                }
                if let captured, captured >= touch, arrived > captured { result.latencies.append(Double(arrived - captured) / 1e6) }
            } else {
                result.missed += 1
            }
            keypad.publish(topic: topic, text: #"{"occupancy":false}"#)
            touched(false)
            Thread.sleep(forTimeInterval: 0.2)
        }
        result.elapsed = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
        result.latencies.sort()
        return result
    }
}
