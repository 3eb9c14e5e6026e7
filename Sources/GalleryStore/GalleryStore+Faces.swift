import BrokerCore
import Foundation
import GRDB
import Vocabulary

extension GalleryStore {
    /// Enrolls one face descriptor for a member.
    ///
    /// - Parameters:
    ///   - sourceSHA256: sha256 of the image file the face came from (64 lowercase hex digits);
    ///     the same image cannot be enrolled twice for a member with the same model.
    ///   - model: the descriptor model's name; `detector`: the detection settings used.
    @discardableResult
    public func addFace(member name: String, descriptor: FaceDescriptor, sourceSHA256: String, model: String,
                        detector: String) throws -> FaceRecord {
        let hash = try InputValidation.sha256(sourceSHA256)
        let model = try InputValidation.field("model", model)
        let detector = try InputValidation.field("detector settings", detector)
        let now = wallClock()
        do {
            return try pool.write { db in
                try Self.insertFace(db, member: try Self.memberRef(db, named: name)!, descriptor: descriptor,
                                    sourceSHA256: hash, model: model, detector: detector, now: now)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw GalleryStoreError.duplicateFace(member: name, sourceSHA256: hash, model: model)
        }
    }

    /// Arguments already validated; the same image twice for a member and model is a typed error.
    static func insertFace(_ db: Database, member: MemberRef, descriptor: FaceDescriptor, sourceSHA256 hash: String,
                           model: String, detector: String, now: Int64) throws -> FaceRecord {
        if try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM face_descriptor WHERE member_id = ? AND source_sha256 = ? AND model = ?)
            """, arguments: [member.id.rawValue, hash, model]) == true {
            throw GalleryStoreError.duplicateFace(member: member.name, sourceSHA256: hash, model: model)
        }
        try db.execute(sql: """
            INSERT INTO face_descriptor (member_id, descriptor, source_sha256, model, detector, created_wall_ns)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [member.id.rawValue, DescriptorBlob.encode(descriptor), hash, model, detector, now])
        return FaceRecord(id: db.lastInsertedRowID, member: member, descriptor: descriptor, sourceSHA256: hash,
                          model: model, detector: detector, createdWallNs: now)
    }

    /// Faces of one member (by name), or of everyone, by id.
    public func listFaces(member name: String? = nil) throws -> [FaceRecord] {
        try pool.read { db in
            let sql = """
                SELECT f.id, f.member_id, m.name, f.descriptor, f.source_sha256, f.model, f.detector, f.created_wall_ns
                FROM face_descriptor f JOIN member m ON m.id = f.member_id
                """
            let rows: [Row]
            if let name {
                let member = try Self.memberRef(db, named: name)!
                rows = try Row.fetchAll(db, sql: sql + " WHERE f.member_id = ? ORDER BY f.id", arguments: [member.id.rawValue])
            } else {
                rows = try Row.fetchAll(db, sql: sql + " ORDER BY f.id")
            }
            return try rows.map { row in
                FaceRecord(id: row["id"], member: MemberRef(id: MemberID(row["member_id"]), name: row["name"]),
                           descriptor: try Self.descriptor(row), sourceSHA256: row["source_sha256"], model: row["model"],
                           detector: row["detector"], createdWallNs: row["created_wall_ns"])
            }
        }
    }

    @discardableResult
    public func removeFace(id: Int64) throws -> FaceRecord {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT f.id, f.member_id, m.name, f.descriptor, f.source_sha256, f.model, f.detector, f.created_wall_ns
                FROM face_descriptor f JOIN member m ON m.id = f.member_id WHERE f.id = ?
                """, arguments: [id]) else { throw GalleryStoreError.unknownFace(id) }
            try db.execute(sql: "DELETE FROM face_descriptor WHERE id = ?", arguments: [id])
            return FaceRecord(id: id, member: MemberRef(id: MemberID(row["member_id"]), name: row["name"]),
                              descriptor: try Self.descriptor(row), sourceSHA256: row["source_sha256"], model: row["model"],
                              detector: row["detector"], createdWallNs: row["created_wall_ns"])
        }
    }

    static func descriptor(_ row: Row) throws -> FaceDescriptor {
        let id: Int64 = row["id"]
        guard let data = row["descriptor"] as Data? else {
            throw GalleryStoreError.corruptRow(table: "face_descriptor", id: id, reason: "descriptor is not a blob")
        }
        do {
            return try DescriptorBlob.decode(data)
        } catch {
            throw GalleryStoreError.corruptRow(table: "face_descriptor", id: id, reason: "\(error)")
        }
    }
}
