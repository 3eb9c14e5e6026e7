import BrokerCore
import Foundation
import GalleryStore
import ProcessSupport

/// One audit row as one line of text (logfmt after the time) or one JSON object.
struct AuditLineFormat {
    let json: Bool

    /// `crop`: the row has a face crop (`faces enroll-crop --audit-id` takes the row's id).
    func line(_ record: AuditRecord, crop: Bool = false) -> String {
        json ? jsonLine(record, crop: crop) : textLine(record, crop: crop)
    }

    private func textLine(_ record: AuditRecord, crop: Bool) -> String {
        let e = record.entry
        let fields: [(String, String)] = [
            ("id", String(record.id)),
            ("camera", e.camera ?? "-"),
            ("txn", e.txn.description),
            ("member", e.member?.name ?? "unknown"),
            ("distance", e.distance.map(Output.distance) ?? "-"),
            ("snapshot", snapshotText(e)),
            ("unlocked", e.unlockedLocks.isEmpty ? "-" : e.unlockedLocks.map(\.rawValue).joined(separator: ",")),
            ("delivery", deliveryText(e)),
            ("crop", crop ? "yes" : "no"),
            ("kind", e.kind.rawValue),
            ("reason", e.reason),
        ]
        return Output.localTime(wallNs: e.timeWallNs) + " "
            + LogfmtFields(fields).description
    }

    /// What became of each command: `DC006:confirmed`, `DC001:failed`, ... (`-`: no command).
    /// pending: outcome not known yet; unknown: the broker stopped before it knew; published
    /// or failed; then confirmed / unconfirmed once the lock's report came or did not.
    private func deliveryText(_ e: AuditEntry) -> String {
        e.deliveries.isEmpty ? "-" : e.deliveries.map { "\($0.lock):\($0.summary)" }.joined(separator: ",")
    }

    /// `DC001,DC006` for the touched locks, `motion[DC001]` when the motion trigger was on,
    /// `-` when there was no snapshot (unknown txn), `?` when the stored one does not decode.
    private func snapshotText(_ e: AuditEntry) -> String {
        guard e.snapshotJSON != nil else { return "-" }
        guard let snapshot = try? e.snapshot() else { return "?" }
        var parts = snapshot.lockSessions.map(\.lock.rawValue)
        if let motion = snapshot.motion { parts.append("motion[\(motion.locks.map(\.rawValue).joined(separator: "+"))]") }
        return parts.isEmpty ? "-" : parts.joined(separator: ",")
    }

    private func jsonLine(_ record: AuditRecord, crop: Bool) -> String {
        let e = record.entry
        var object: [String: Any] = [
            "id": record.id,
            "crop": crop,
            "time": Output.utcTime(wallNs: e.timeWallNs),
            "time_wall_ns": e.timeWallNs,
            "txn": e.txn.description,
            "unlocked": e.unlockedLocks.map(\.rawValue),
            "kind": e.kind.rawValue,
            "reason": e.reason,
        ]
        object["camera"] = orNull(e.camera)
        object["face_index"] = orNull(e.faceIndex)
        object["capture_monotonic_ns"] = orNull(e.captureMonotonicNs)
        object["capture_wall_ns"] = orNull(e.captureWallNs)
        object["member"] = orNull(e.member?.name)
        object["member_id"] = orNull(e.member?.id.rawValue)
        object["distance"] = orNull(e.distance)
        object["deliveries"] = e.deliveries.map { d -> [String: Any] in
            ["lock": d.lock.rawValue, "qos": d.qos, "state": d.state.rawValue, "detail": orNull(d.detail),
             "outcome_wall_ns": orNull(d.outcomeWallNs), "confirmation": orNull(d.confirmation?.rawValue),
             "confirmation_wall_ns": orNull(d.confirmationWallNs)]
        }
        // The stored JSON as it is, so nothing the broker recorded is lost in translation.
        object["snapshot"] = orNull(e.snapshotJSON.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) })
        return Output.json(object)
    }
}

private func orNull<T>(_ value: T?) -> Any { value.map { $0 as Any } ?? NSNull() }
