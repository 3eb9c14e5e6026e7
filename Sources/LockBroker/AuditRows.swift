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

    /// The crop kept with the row of a face decision: the face's chip as the recognizer sent
    /// it; nil for a decision about no face or a face without a chip. A face no member
    /// matched keeps its descriptor too (`model`/`detector` say how it was made), so an
    /// operator can enroll it later; not one from an implausible result or a txn the broker
    /// never issued, which no camera frame vouches for. Throws when the chip is not one the
    /// store accepts (the row is written without it).
    static func crop(_ decision: Decision, result: RecognitionResult, model: String, detector: String) throws -> AuditCrop? {
        guard let index = decision.faceIndex, result.faces.indices.contains(index),
              let chip = result.faces[index].chip else { return nil }
        let keep = decision.member == nil && decision.kind != .implausible && decision.kind != .unknownTxn
        return try AuditCrop(format: chip.format.name, width: chip.width, height: chip.height, image: chip.bytes,
                             descriptor: keep ? result.faces[index].descriptor : nil, model: keep ? model : nil,
                             detector: keep ? detector : nil)
    }
}
