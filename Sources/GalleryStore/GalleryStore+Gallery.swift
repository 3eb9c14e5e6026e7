import BrokerCore
import GRDB
import Vocabulary

extension GalleryStore {
    /// Cheap: one integer. Differs from an earlier token exactly when members, faces or grants
    /// changed since (through any connection or process).
    public func changeToken() throws -> GalleryChangeToken {
        try pool.read { try Self.token($0) }
    }

    /// Members with their descriptors and grants, in the shape the decision engine matches
    /// against, and the token they correspond to (one read transaction).
    public func loadGallery() throws -> GallerySnapshot {
        try pool.read { db in
            let token = try Self.token(db)
            let grants = try Self.grantsByMember(db)
            var descriptors: [Int64: [FaceDescriptor]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, member_id, descriptor FROM face_descriptor ORDER BY id") {
                descriptors[row["member_id"], default: []].append(try Self.descriptor(row))
            }
            let members = try Row.fetchAll(db, sql: "SELECT id, name FROM member ORDER BY id").map { row in
                let id: Int64 = row["id"]
                return Gallery.Member(id: MemberID(id), name: row["name"], descriptors: descriptors[id] ?? [],
                                      grants: Set(grants[id] ?? []))
            }
            return GallerySnapshot(gallery: Gallery(members: members), token: token)
        }
    }

    static func token(_ db: Database) throws -> GalleryChangeToken {
        GalleryChangeToken(generation: try Int64.fetchOne(db, sql: "SELECT value FROM gallery_generation WHERE id = 1") ?? 0)
    }
}
