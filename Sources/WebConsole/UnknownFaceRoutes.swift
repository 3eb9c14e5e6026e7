import BrokerCore
import Foundation
import GalleryStore
import Hummingbird

extension Console {
    static let unknownFacesShown = 200

    func addUnknownFaceRoutes(_ router: Router<ConsoleContext>) {
        router.get("/unknown") { [self] request, context in
            let who = context.who
            let faces = try store.unknownFaces(limit: Self.unknownFacesShown, beforeAuditID: nil)
            let groups = FaceClusters.group(faces.map(\.descriptor), threshold: setup.matchThreshold)
            let members = try store.listMembers()
            let notice = request.uri.queryParameters.get("done").map { "<p class=\"note\" id=\"notice\">\(html($0))</p>" } ?? ""
            let cards = groups.enumerated().map { number, indices -> String in
                let group = indices.map { faces[$0] }
                // One crop is enrolled, the group's newest: a chain of look-alikes can join two
                // people in a group, and the operator sees which face they pick.
                let ids = String(group.map(\.auditID).max()!)
                let crops = group.prefix(8).map {
                    "<a href=\"/decisions/\($0.auditID)\"><img class=\"crop\" alt=\"unknown face, decision \($0.auditID)\" src=\"/decisions/\($0.auditID)/crop\"></a>"
                }.joined()
                let when = group.map(\.timeWallNs)
                let seen = "\(group.count) time\(group.count == 1 ? "" : "s"), \(html(Layout.isoTime(when.min()!))) to \(html(Layout.isoTime(when.max()!)))"
                guard who.role == .admin else {
                    return "<div class=\"card unknown-group\" id=\"group-\(number)\">\(crops)<p class=\"note\">\(seen)</p></div>"
                }
                let grants = setup.locks.map {
                    "<label><input type=\"checkbox\" name=\"grant\" value=\"\(html($0))\"> \(html($0))</label>"
                }.joined(separator: " ")
                let options = members.map { "<option>\(html($0.name))</option>" }.joined()
                return """
                    <div class="card unknown-group" id="group-\(number)">\(crops)<p class="note">\(seen)</p>
                    <form method="post" action="/unknown/enroll" class="enroll-new">\(Layout.csrfField(who))
                    <input type="hidden" name="faces" value="\(ids)"><input type="hidden" name="create" value="1">
                    <label>Enroll as new member <input name="member" required maxlength="64"></label><br>\(grants)
                    <button>Enroll</button></form>
                    \(members.isEmpty ? "" : """
                    <form method="post" action="/unknown/enroll" class="enroll-existing">\(Layout.csrfField(who))
                    <input type="hidden" name="faces" value="\(ids)">
                    <label>or add to <select name="member">\(options)</select></label> <button>Add</button></form>
                    """)
                    </div>
                    """
            }.joined()
            return Layout.page("Unknown faces", active: "/unknown", who: who, """
                \(notice)<p class="note">The last \(faces.count) faces nobody matched, grouped by likeness (distance under \
                \(String(format: "%.2f", setup.matchThreshold))). Enrolling keeps the face's descriptor: no photo needed.</p>
                <div class="cards" id="unknown-faces">\(cards.isEmpty ? "<p class=\"note\">none</p>" : cards)</div>
                """)
        }

        router.post("/unknown/enroll") { [self] request, context in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let text = String(buffer: body)
            let form = FormData(urlEncoded: text)
            let member = try required(form, "member")
            let create = form["create"] == "1"
            let ids = try required(form, "faces").split(separator: ",").map { part -> Int64 in
                guard let id = Int64(part), id > 0 else { throw HTTPError(.badRequest, message: "faces: \"\(part)\" is not a decision id") }
                return id
            }
            // Every checked lock (repeated `grant` fields).
            let grants = text.split(separator: "&").compactMap { pair -> String? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0] == "grant" ? FormData.decode(parts[1]) : nil
            }
            for lock in grants { _ = try knownLock(lock) }
            var enrolled = 0
            for (i, id) in ids.enumerated() {
                _ = try store.enrollFromCrop(auditID: id, member: member, createMember: create && i == 0)
                enrolled += 1
            }
            try audit(context.who, "face.enroll", "\(member) from decisions \(ids.map(String.init).joined(separator: ","))\(create ? " (new member)" : "")")
            for lock in grants {
                try store.addGrant(member: member, lock: lock)
                try audit(context.who, "grant.add", "\(member) \(lock)")
            }
            let summary = "enrolled \(enrolled) face\(enrolled == 1 ? "" : "s") as \(member)" + (grants.isEmpty ? "" : ", may open \(grants.joined(separator: ", "))")
            return Layout.redirect("/unknown?done=\(urlComponent(summary))")
        }

        router.get("/decisions/{id}/crop") { [self] _, context in
            let text = context.parameters.get("id") ?? ""
            guard let id = Int64(text), id > 0 else { throw HTTPError(.badRequest, message: "decision id \"\(text)\" is not a positive integer") }
            guard let crop = try store.faceCrop(auditID: id) else { throw HTTPError(.notFound, message: "decision \(id) kept no face crop") }
            return Response(status: .ok, headers: [.contentType: Self.contentType(crop.format), .cacheControl: "private, max-age=3600"],
                            body: .init(byteBuffer: ByteBuffer(bytes: crop.image)))
        }
    }

    static func contentType(_ format: String) -> String {
        switch format.lowercased() {
        case "jpeg", "jpg": "image/jpeg"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }
}
