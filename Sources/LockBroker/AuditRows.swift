import BrokerCore
import GalleryStore
import ProcessSupport
import WireProtocol

/// The audit row of one face decision, written before any of its commands is published.
enum AuditRows {
    /// `qos`: the MQTT QoS each unlocked lock's command goes out with.
    static func decision(_ decision: Decision, result: RecognitionResult, captureWallNs: Int64?,
                         qos: (LockID) -> Int) -> AuditEntry {
        var entry = AuditEntry(decision: decision, timeWallNs: WallClock.nowNanoseconds(), captureWallNs: captureWallNs)
        // Untrusted results are decided against txn 0; the row keeps the txn that was claimed.
        entry.txn = DetectingTxn(result.txn)
        entry.camera = entry.camera ?? result.camera
        entry.deliveries = decision.claims.map { UnlockDelivery(lock: $0.lock, qos: qos($0.lock)) }
        return entry
    }
}
