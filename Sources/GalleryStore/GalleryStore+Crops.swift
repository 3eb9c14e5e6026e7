import BrokerCore
import Foundation
import GRDB
import Vocabulary

extension GalleryStore {
    /// Formats `storeCrop` accepts (the table's CHECK says the same).
    public static let cropFormats: Set<String> = ["jpeg"]
    /// dlib's chip is 150×150; anything far larger is not a face crop of ours.
    public static let maxCropSide = 1024
    /// A 150×150 JPEG is a few kB; the cap only stops a bad peer from filling the disk per row.
    public static let maxCropBytes = 512 * 1024

    /// Keeps the face crop of audit row `auditID`.
    ///
    /// - Parameters:
    ///   - descriptor: kept for faces no member matched, so the crop can be enrolled later;
    ///     then `model` and `detector` are required too (as `face_descriptor` records them).
    public func storeCrop(auditID: Int64, format: String, width: Int, height: Int, image: [UInt8],
                          descriptor: FaceDescriptor?, model: String?, detector: String?) throws {
        let crop = try Self.validatedCrop(auditID: auditID, format: format, width: width, height: height, image: image,
                                          descriptor: descriptor, model: model, detector: detector,
                                          createdWallNs: wallClock())
        try pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM audit WHERE id = ?)", arguments: [auditID]) == true else {
                throw GalleryStoreError.unknownAuditRow(auditID)
            }
            try Self.insertCrop(db, crop)
        }
    }

    /// The crop of audit row `auditID`, nil when none was kept (or it was pruned).
    public func faceCrop(auditID: Int64) throws -> FaceCrop? {
        try pool.read { try Self.faceCrop($0, auditID: auditID) }
    }

    /// Judged faces that no member matched and whose crop kept a descriptor, newest first:
    /// `limit` of them, with `beforeAuditID` those older than that row (keyset pagination).
    /// Crops already enrolled are left out.
    public func unknownFaces(limit: Int, beforeAuditID: Int64? = nil) throws -> [UnknownFace] {
        guard limit > 0 else { throw GalleryStoreError.invalidField(name: "limit", reason: "must be at least 1, got \(limit)") }
        return try pool.read { db in
            // Walks face_crop backwards by its primary key (the audit id): no sort, no scan of
            // the audit table.
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.audit_id, a.camera, a.time_wall_ns, a.distance, c.descriptor
                FROM face_crop c JOIN audit a ON a.id = c.audit_id
                WHERE c.audit_id < ? AND c.descriptor IS NOT NULL AND c.enrolled_face_id IS NULL AND a.member_id IS NULL
                ORDER BY c.audit_id DESC LIMIT ?
                """, arguments: [beforeAuditID ?? Int64.max, limit])
            return try rows.map { row in
                let id: Int64 = row["audit_id"]
                return UnknownFace(auditID: id, camera: row["camera"], timeWallNs: row["time_wall_ns"],
                                   distance: row["distance"], descriptor: try Self.cropDescriptor(row, auditID: id)!)
            }
        }
    }

    /// Enrolls the descriptor kept with a crop as a face of `name` (a new member when
    /// `createMember`), in one transaction: the gallery face is named by the SHA-256 of the
    /// crop's image bytes and carries the crop's model and detector settings.
    @discardableResult
    public func enrollFromCrop(auditID: Int64, member name: String, createMember: Bool) throws -> FaceRecord {
        if createMember { _ = try InputValidation.memberName(name) }
        let now = wallClock()
        do {
            return try pool.write { db in
                guard let crop = try Self.faceCrop(db, auditID: auditID) else { throw GalleryStoreError.noCrop(auditID: auditID) }
                guard let descriptor = crop.descriptor, let model = crop.model, let detector = crop.detector else {
                    throw GalleryStoreError.cropWithoutDescriptor(auditID: auditID)
                }
                let member = createMember ? try Self.insertMember(db, name: name, now: now)
                                          : try Self.memberRef(db, named: name)!
                let face = try Self.insertFace(db, member: member, descriptor: descriptor, sourceSHA256: SHA256.hex(crop.image),
                                               model: model, detector: detector, now: now)
                try db.execute(sql: "UPDATE face_crop SET enrolled_face_id = ? WHERE audit_id = ?", arguments: [face.id, auditID])
                return face
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            // Lost a race with another process adding the same member.
            throw GalleryStoreError.duplicateMemberName(name)
        }
    }

    /// Deletes crops older than `maxAgeNs` at `nowWallNs`, then the oldest of the rest until
    /// their images and descriptors together take at most `maxTotalBytes`. Audit rows stay.
    ///
    /// SQLite reuses the freed pages for later crops; the file itself does not shrink, so the
    /// limit bounds its growth rather than its current size.
    @discardableResult
    public func pruneCrops(nowWallNs: Int64, maxAgeNs: Int64, maxTotalBytes: Int64) throws -> CropPruneResult {
        guard maxAgeNs > 0 else {
            throw GalleryStoreError.invalidField(name: "crop maximum age", reason: "must be positive, got \(maxAgeNs) ns")
        }
        guard maxTotalBytes >= 0 else {
            throw GalleryStoreError.invalidField(name: "crop maximum total size", reason: "must not be negative, got \(maxTotalBytes)")
        }
        let (difference, overflow) = nowWallNs.subtractingReportingOverflow(maxAgeNs)
        let cutoff = overflow ? Int64.min : difference
        let size = "length(image) + coalesce(length(descriptor), 0)"
        return try pool.write { db in
            let aged = try Row.fetchOne(db, sql: """
                SELECT count(*) AS n, coalesce(sum(\(size)), 0) AS bytes FROM face_crop WHERE created_wall_ns < ?
                """, arguments: [cutoff])!
            var deleted: Int = aged["n"]
            var freed: Int64 = aged["bytes"]
            if deleted > 0 {
                try db.execute(sql: "DELETE FROM face_crop WHERE created_wall_ns < ?", arguments: [cutoff])
            }
            var total = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(\(size)), 0) FROM face_crop") ?? 0
            guard total > maxTotalBytes else { return CropPruneResult(deleted: deleted, bytesFreed: freed) }
            var doomed: [Int64] = []
            let oldest = try Row.fetchCursor(db, sql: """
                SELECT audit_id, \(size) AS bytes FROM face_crop ORDER BY created_wall_ns, audit_id
                """)
            while total > maxTotalBytes, let row = try oldest.next() {
                let bytes: Int64 = row["bytes"]
                doomed.append(row["audit_id"])
                total -= bytes
                freed += bytes
            }
            for start in stride(from: 0, to: doomed.count, by: 500) {
                let chunk = Array(doomed[start..<min(start + 500, doomed.count)])
                try db.execute(sql: "DELETE FROM face_crop WHERE audit_id IN (\(databaseQuestionMarks(count: chunk.count)))",
                               arguments: StatementArguments(chunk))
            }
            deleted += doomed.count
            return CropPruneResult(deleted: deleted, bytesFreed: freed)
        }
    }

    /// Which of the audit rows `ids` have a crop (for listings: one query per page).
    public func auditIDsWithCrop(_ ids: [Int64]) throws -> Set<Int64> {
        guard let low = ids.min(), let high = ids.max() else { return [] }
        let wanted = Set(ids)
        return try pool.read { db in
            Set(try Int64.fetchAll(db, sql: "SELECT audit_id FROM face_crop WHERE audit_id BETWEEN ? AND ?",
                                   arguments: [low, high]).filter(wanted.contains))
        }
    }

    /// How many crops are kept.
    public func cropCount() throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM face_crop") ?? 0 }
    }

    /// Bytes the crops take (images plus descriptors), what `pruneCrops` bounds.
    public func cropBytes() throws -> Int64 {
        try pool.read { try Int64.fetchOne($0, sql: "SELECT coalesce(sum(length(image) + coalesce(length(descriptor), 0)), 0) FROM face_crop") ?? 0 }
    }

    static func validatedCrop(auditID: Int64, format: String, width: Int, height: Int, image: [UInt8],
                              descriptor: FaceDescriptor?, model: String?, detector: String?,
                              createdWallNs: Int64) throws -> FaceCrop {
        func bad(_ reason: String) -> GalleryStoreError {
            .invalidField(name: auditID == 0 ? "face crop" : "face crop of audit row \(auditID)", reason: reason)
        }
        guard cropFormats.contains(format) else {
            throw bad("format \"\(format)\" is not one of \(cropFormats.sorted().joined(separator: ", "))")
        }
        guard (1...maxCropSide).contains(width), (1...maxCropSide).contains(height) else {
            throw bad("size \(width)x\(height) is outside 1...\(maxCropSide) on a side")
        }
        guard !image.isEmpty else { throw bad("the image is empty") }
        guard image.count <= maxCropBytes else { throw bad("the image has \(image.count) bytes, more than \(maxCropBytes)") }
        if format == "jpeg" {
            guard image.starts(with: [0xff, 0xd8, 0xff]), image.suffix(2).elementsEqual([0xff, 0xd9]) else {
                throw bad("the image is not a complete JPEG (no FF D8 FF start or FF D9 end)")
            }
        }
        var model = model, detector = detector
        if descriptor != nil {
            guard let m = model, let d = detector else {
                throw bad("a descriptor needs its model and detector settings, to be enrolled from")
            }
            model = try InputValidation.field("model", m)
            detector = try InputValidation.field("detector settings", d)
        }
        return FaceCrop(auditID: auditID, format: format, width: width, height: height, image: image,
                        createdWallNs: createdWallNs, descriptor: descriptor, model: model, detector: detector)
    }

    /// `crop` already validated; the audit row must exist in this transaction.
    static func insertCrop(_ db: Database, _ crop: FaceCrop) throws {
        do {
            try db.execute(sql: """
                INSERT INTO face_crop (audit_id, format, width, height, image, descriptor, model, detector, created_wall_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [crop.auditID, crop.format, crop.width, crop.height, Data(crop.image),
                                 crop.descriptor.map(DescriptorBlob.encode), crop.model, crop.detector, crop.createdWallNs])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw GalleryStoreError.duplicateCrop(auditID: crop.auditID)
        }
    }

    static func faceCrop(_ db: Database, auditID: Int64) throws -> FaceCrop? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM face_crop WHERE audit_id = ?", arguments: [auditID]) else {
            return nil
        }
        let image: Data = row["image"]
        return FaceCrop(auditID: auditID, format: row["format"], width: row["width"], height: row["height"],
                        image: [UInt8](image), createdWallNs: row["created_wall_ns"],
                        descriptor: try cropDescriptor(row, auditID: auditID), model: row["model"], detector: row["detector"],
                        enrolledFaceID: row["enrolled_face_id"])
    }

    static func cropDescriptor(_ row: Row, auditID: Int64) throws -> FaceDescriptor? {
        let value: DatabaseValue = row["descriptor"]
        guard !value.isNull else { return nil }
        guard let data = Data.fromDatabaseValue(value) else {
            throw GalleryStoreError.corruptRow(table: "face_crop", id: auditID, reason: "descriptor is not a blob")
        }
        do {
            return try DescriptorBlob.decode(data)
        } catch {
            throw GalleryStoreError.corruptRow(table: "face_crop", id: auditID, reason: "\(error)")
        }
    }
}
