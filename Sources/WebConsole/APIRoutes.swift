import BrokerCore
import Foundation
import GalleryStore
import HTTPTypes
import Hummingbird

/// The JSON API behind the pages (deploy/openapi.yaml): the same session or HTTP Basic login,
/// the same roles; changes from a browser session carry `X-CSRF-Token`.
extension Console {
    func addAPIRoutes(_ router: Router<ConsoleContext>) {
        let api = router.group("/api")
        api.get("/status") { [self] _, _ in
            do {
                let (json, _) = try await broker.status()
                return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: json)))
            } catch {
                return JSON.response(["error": "\(error)"], status: .serviceUnavailable)
            }
        }
        api.get("/decisions") { [self] request, _ in
            let started = monotonic()
            let query = try DecisionQuery { request.uri.queryParameters.get($0) }
            let page = try store.decisions(query.filter, beforeID: query.before, limit: query.limit)
            let decoder = JSONDecoder()
            var response = JSON.response(encoding: DecisionPageJSON(decisions: page.records.map { DecisionJSON($0, decoder: decoder) },
                                                                    next_before: page.nextBeforeID))
            // The query and the JSON, without the network and the login (facegate-bench web).
            response.headers[HTTPField.Name("Server-Timing")!] = String(format: "app;dur=%.3f", (monotonic() - started) * 1000)
            return response
        }
        api.get("/decisions/{id}") { [self] _, context in
            let record = try decisionRecord(context)
            return JSON.response(encoding: DecisionJSON(record, decoder: JSONDecoder()))
        }
        api.get("/members") { [self] _, _ in
            JSON.response(try store.listMembers().map(memberJSON))
        }
        api.post("/members") { [self] request, context in
            let body = try await jsonObject(request)
            guard let name = body["name"] as? String else { throw HTTPError(.badRequest, message: "the body needs \"name\", a string") }
            let member = try store.addMember(name: name)
            try audit(context.who, "member.add", member.name)
            return JSON.response(memberJSON(member), status: .created)
        }
        api.delete("/members/{name}") { [self] _, context in
            let removed = try store.removeMember(name: context.parameters.get("name") ?? "")
            try audit(context.who, "member.remove", removed.name)
            return JSON.response(memberJSON(removed))
        }
        api.put("/members/{name}/grants/{lock}") { [self] _, context in
            let name = context.parameters.get("name") ?? ""
            let lock = try knownLock(context.parameters.get("lock") ?? "")
            try store.addGrant(member: name, lock: lock)
            try audit(context.who, "grant.add", "\(name) \(lock)")
            return JSON.response(memberJSON(try store.member(named: name)))
        }
        api.delete("/members/{name}/grants/{lock}") { [self] _, context in
            let name = context.parameters.get("name") ?? "", lock = context.parameters.get("lock") ?? ""
            try store.removeGrant(member: name, lock: lock)
            try audit(context.who, "grant.remove", "\(name) \(lock)")
            return JSON.response(memberJSON(try store.member(named: name)))
        }
    }

    func jsonObject(_ request: Request) async throws -> [String: Any] {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw HTTPError(.badRequest, message: "the body is not a JSON object")
        }
        return object
    }

    func memberJSON(_ m: MemberRecord) -> [String: Any] {
        ["id": m.id.rawValue, "name": m.name, "faces": m.faceCount, "grants": m.grants.map(\.rawValue),
         "added": Layout.isoTime(m.createdWallNs)]
    }
}

extension Data {
    init(buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}
