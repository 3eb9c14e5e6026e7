import BrokerCore
import Foundation
import GalleryStore

/// One decision as GET /api/decisions answers it (deploy/openapi.yaml, Decision). Encoded with
/// one JSONEncoder per response, not built as dictionaries for JSONSerialization: a page of
/// 50 costs a fraction as much (facegate-bench web).
struct DecisionJSON: Encodable {
    struct Delivery: Encodable {
        var lock: String
        var state: String
    }

    var id: Int64
    var time: String
    var kind: String
    var reason: String
    var unlocked: [String]
    var snapshot_locks: [String]
    var deliveries: [Delivery]
    var timeline_url: String
    var camera: String?
    var member: String?
    var distance: Double?
    var capture_time: String?

    /// `decoder` reads the row's snapshot; shared by the rows of a page.
    init(_ r: AuditRecord, decoder: JSONDecoder) {
        let e = r.entry
        id = r.id
        time = Layout.isoTime(e.timeWallNs)
        kind = e.kind.rawValue
        reason = e.reason
        unlocked = e.unlockedLocks.map(\.rawValue)
        snapshot_locks = ((try? e.snapshot(decoder: decoder))?.triggeredLocks ?? []).map(\.rawValue)
        deliveries = e.deliveries.map { Delivery(lock: $0.lock.rawValue, state: $0.summary) }
        timeline_url = "/decisions/\(r.id)/timeline.svg"
        camera = e.camera
        member = e.member?.name
        distance = e.distance.flatMap { $0.isFinite ? $0 : nil }
        capture_time = e.captureWallNs.map(Layout.isoTime)
    }
}

/// GET /api/decisions: a page and where the next one starts.
struct DecisionPageJSON: Encodable {
    var decisions: [DecisionJSON]
    var next_before: Int64?

}
