import BrokerCore
import Foundation
import GRDB

/// What the console's decisions page filters by; nil fields do not filter.
public struct DecisionFilter: Hashable, Sendable {
    /// Decision time, ns since the Unix epoch: `from` inclusive, `to` exclusive.
    public var fromWallNs: Int64?
    public var toWallNs: Int64?
    /// The recognized member's name as the row recorded it (case does not matter).
    public var member: String?
    /// A lock the frame's snapshot held or the decision opened.
    public var lock: String?
    public var kind: DecisionKind?
    public var camera: String?

    public init(fromWallNs: Int64? = nil, toWallNs: Int64? = nil, member: String? = nil, lock: String? = nil,
                kind: DecisionKind? = nil, camera: String? = nil) {
        self.fromWallNs = fromWallNs; self.toWallNs = toWallNs; self.member = member; self.lock = lock
        self.kind = kind; self.camera = camera
    }

    /// The WHERE clause (after `id < ?`) and its arguments; shared with the benchmark's plain
    /// query so both read the same rows the same way.
    public func sql(beforeID: Int64?) -> (clause: String, arguments: [DatabaseValueConvertible?]) {
        var terms: [String] = []
        var arguments: [DatabaseValueConvertible?] = []
        if let beforeID { terms.append("id < ?"); arguments.append(beforeID) }
        if let fromWallNs { terms.append("time_wall_ns >= ?"); arguments.append(fromWallNs) }
        if let toWallNs { terms.append("time_wall_ns < ?"); arguments.append(toWallNs) }
        if let member { terms.append("member_name = ? COLLATE NOCASE"); arguments.append(member) }
        if let camera { terms.append("camera = ?"); arguments.append(camera) }
        if let kind { terms.append("decision = ?"); arguments.append(kind.rawValue) }
        if let lock {
            // Lock ids hold no '"', '%' or '_' worth escaping beyond LIKE's own: they are
            // checked by InputValidation.lockID before they get here.
            let quoted = "%\"" + lock + "\"%"
            terms.append("(unlocked_json LIKE ? OR snapshot_json LIKE ?)")
            arguments += [quoted, quoted]
        }
        return (terms.isEmpty ? "1" : terms.joined(separator: " AND "), arguments)
    }
}

/// One page of decisions, newest first, and where the next page starts.
public struct DecisionPage: Sendable {
    public var records: [AuditRecord]
    /// Pass as `beforeID` for the next (older) page; nil on the last page.
    public var nextBeforeID: Int64?
}

extension GalleryStore {
    public static let maxDecisionPageSize = 500

    /// Newest-first decisions matching `filter` with ids below `beforeID` (keyset pagination:
    /// every page costs the same however deep, unlike OFFSET).
    public func decisions(_ filter: DecisionFilter, beforeID: Int64? = nil, limit: Int = 50) throws -> DecisionPage {
        guard (1...Self.maxDecisionPageSize).contains(limit) else {
            throw GalleryStoreError.invalidField(name: "limit", reason: "must be 1 to \(Self.maxDecisionPageSize), got \(limit)")
        }
        if let lock = filter.lock { _ = try InputValidation.lockID(lock) }
        let (clause, arguments) = filter.sql(beforeID: beforeID)
        return try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE \(clause) ORDER BY id DESC LIMIT ?",
                                        arguments: StatementArguments(arguments + [limit + 1]))
            let decoder = JSONDecoder()
            let records = try rows.prefix(limit).map { try Self.auditRecord($0, decoder: decoder) }
            let withDeliveries = try Self.withDeliveries(db, records)
            return DecisionPage(records: withDeliveries, nextBeforeID: rows.count > limit ? records.last?.id : nil)
        }
    }
}
