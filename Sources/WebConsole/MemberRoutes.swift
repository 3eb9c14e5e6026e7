import Foundation
import GalleryStore
import Hummingbird

extension Console {
    func addMemberRoutes(_ router: Router<ConsoleContext>) {
        router.get("/members") { [self] request, context in
            let who = context.who
            let members = try store.listMembers()
            let admin = who.role == .admin
            let notice = request.uri.queryParameters.get("done").map { "<p class=\"note\" id=\"notice\">\(html($0))</p>" } ?? ""
            let rows = members.map { m -> String in
                let grants = setup.locks.map { lock -> String in
                    let held = m.grants.map(\.rawValue).contains(lock)
                    guard admin else { return held ? "<span class=\"grant\">\(html(lock))</span> " : "" }
                    return """
                        <form class="inline" method="post" action="/members/\(held ? "revoke" : "grant")">\(Layout.csrfField(who))\
                        <input type="hidden" name="member" value="\(html(m.name))"><input type="hidden" name="lock" value="\(html(lock))">\
                        <button class="\(held ? "revoke" : "grant")" title="\(held ? "take away" : "give") the grant">\(held ? "✔" : "+") \(html(lock))</button></form>
                        """
                }.joined()
                let remove = admin ? """
                    <form class="inline" method="post" action="/members/remove">\(Layout.csrfField(who))\
                    <input type="hidden" name="member" value="\(html(m.name))"><button class="remove">Remove</button></form>
                    """ : ""
                let photo = admin ? """
                    <form class="inline" method="post" action="/members/photo" enctype="multipart/form-data">\(Layout.csrfField(who))\
                    <input type="hidden" name="member" value="\(html(m.name))"><input type="file" name="photo" accept="image/*">\
                    <button>Add photo</button></form>
                    """ : ""
                return "<tr class=\"member\" data-member=\"\(html(m.name))\"><td>\(html(m.name))</td><td>\(m.faceCount)</td><td>\(grants)</td><td>\(photo) \(remove)</td></tr>"
            }.joined()
            let add = admin ? """
                <form method="post" action="/members/add" id="add-member">\(Layout.csrfField(who))
                <label>New member <input name="member" required maxlength="64"></label> <button>Add</button></form>
                """ : "<p class=\"note\">Your account may look, not change.</p>"
            return Layout.page("Members and grants", active: "/members", who: who, """
                \(notice)\(add)
                <table id="members"><thead><tr><th>Name</th><th>Faces</th><th>Grants</th><th></th></tr></thead>
                <tbody>\(rows.isEmpty ? "<tr><td colspan=\"4\" class=\"note\">no members</td></tr>" : rows)</tbody></table>
                """)
        }

        router.post("/members/add") { [self] request, context in
            let form = try await formFields(request)
            let name = try required(form, "member")
            let member = try store.addMember(name: name)
            try audit(context.who, "member.add", member.name)
            return Layout.redirect("/members?done=\(urlComponent("added \(member.name)"))")
        }
        router.post("/members/remove") { [self] request, context in
            let form = try await formFields(request)
            let removed = try store.removeMember(name: try required(form, "member"))
            try audit(context.who, "member.remove", removed.name)
            return Layout.redirect("/members?done=\(urlComponent("removed \(removed.name)"))")
        }
        router.post("/members/grant") { [self] request, context in
            let form = try await formFields(request)
            let (member, lock) = (try required(form, "member"), try knownLock(try required(form, "lock")))
            try store.addGrant(member: member, lock: lock)
            try audit(context.who, "grant.add", "\(member) \(lock)")
            return Layout.redirect("/members?done=\(urlComponent("\(member) may open \(lock)"))")
        }
        router.post("/members/revoke") { [self] request, context in
            let form = try await formFields(request)
            let (member, lock) = (try required(form, "member"), try required(form, "lock"))
            try store.removeGrant(member: member, lock: lock)
            try audit(context.who, "grant.remove", "\(member) \(lock)")
            return Layout.redirect("/members?done=\(urlComponent("\(member) may no longer open \(lock)"))")
        }
    }

    func formFields(_ request: Request) async throws -> FormData {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        return FormData(urlEncoded: String(buffer: body))
    }

    func required(_ form: FormData, _ name: String) throws -> String {
        guard let value = form[name], !value.isEmpty else { throw HTTPError(.badRequest, message: "the form has no \(name)") }
        return value
    }

    /// Grants only for locks the configuration knows, as `facegate grants add` insists.
    func knownLock(_ lock: String) throws -> String {
        guard setup.locks.contains(lock) else {
            throw HTTPError(.badRequest, message: "unknown lock \"\(lock)\" (known locks: \(setup.locks.joined(separator: ", ")))")
        }
        return lock
    }
}
