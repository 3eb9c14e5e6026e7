import BrokerCore
import GalleryStore
import ProcessSupport
import WireProtocol

/// The audit row of one face decision, with what became of its unlock publishes.
enum AuditRows {
    /// `sent`/`failed`: what happened to the unlock publishes; a lock the engine unlocked but
    /// MQTT could not take is recorded as not sent, so the audit never claims an open door
    /// that was not commanded.
    static func decision(_ decision: Decision, result: RecognitionResult, captureWallNs: Int64?,
                         sent: [String], failed: [String]) -> AuditEntry {
        var entry = AuditEntry(decision: decision, timeWallNs: WallClock.nowNanoseconds(), captureWallNs: captureWallNs)
        // Untrusted results are decided against txn 0; the row keeps the txn that was claimed.
        entry.txn = DetectingTxn(result.txn)
        entry.camera = entry.camera ?? result.camera
        if !failed.isEmpty {
            entry.unlockedLocks = sent.map { LockID($0) }
            entry.reason += "; NOT SENT (MQTT not connected): \(failed.joined(separator: ","))"
        }
        return entry
    }
}
