import Foundation
import GalleryStore
import HTTPTypes
import Hummingbird

/// Nothing but the login page and /health without a login; a change (any method but GET and
/// HEAD) needs an admin and, from a browser session, the session's CSRF token.
struct ConsoleAuth: RouterMiddleware {
    typealias Context = ConsoleContext
    let console: Console

    static let publicPaths: Set<String> = ["/login", "/health", "/favicon.ico"]
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.publicPaths.contains(path) { return try await next(request, context) }
        let isAPI = path.hasPrefix("/api/")
        var context = context
        var request = request
        if let token = Self.cookie(Console.sessionCookie, in: request), let session = console.sessions.session(token: token) {
            context.principal = .init(user: session.user, role: session.role, session: session)
        } else if isAPI, let (name, password) = Self.basicCredentials(request) {
            switch await console.checkPassword(user: name, password: password, client: context.clientAddress) {
            case let .ok(user): context.principal = .init(user: user.name, role: user.role, session: nil)
            case .wrong: return Self.problem(.unauthorized, "wrong user name or password", challenge: true)
            case let .limited(wait): return Self.tooMany(wait)
            }
        } else if isAPI {
            return Self.problem(.unauthorized, "log in first (session cookie) or send HTTP Basic credentials", challenge: true)
        } else {
            return Response(status: .seeOther, headers: [.location: "/login"])
        }

        let changes = request.method != .get && request.method != .head
        if changes, let session = context.principal?.session {
            let sent = try await Self.csrfToken(&request)
            guard let sent, Self.constantTimeEqual(sent, session.csrfToken) else {
                return SecurityHeaders.refusal(.forbidden, "missing or wrong CSRF token: reload the page and try again", api: isAPI)
            }
        }
        if changes, path != "/logout", context.principal?.role != .admin {
            return SecurityHeaders.refusal(.forbidden, "the \(context.principal?.role.rawValue ?? "") account \(context.principal?.user ?? "") may look but not change anything", api: isAPI)
        }
        return try await next(request, context)
    }

    /// The token from the header (scripts, fetch) or the form's `csrf` field; the body is kept
    /// for the handler.
    static func csrfToken(_ request: inout Request) async throws -> String? {
        if let header = request.headers[csrfHeader] { return header }
        let type = request.headers[.contentType] ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") || type.hasPrefix("multipart/form-data") else { return nil }
        let buffer = try await request.collectBody(upTo: Console.maxUpload)
        let bytes = Array(buffer.readableBytesView)
        if type.hasPrefix("multipart/form-data") {
            return (try? MultipartForm(body: bytes, contentType: type))?.text("csrf")
        }
        return FormData(urlEncoded: String(decoding: bytes, as: UTF8.self))["csrf"]
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    static func basicCredentials(_ request: Request) -> (String, String)? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A JSON error body `{"error": "..."}`.
    static func problem(_ status: HTTPResponse.Status, _ message: String, challenge: Bool = false) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        // No WWW-Authenticate challenge: browsers would pop up their own login box and then
        // cache Basic credentials, which another site could ride on.
        _ = challenge
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSON.encode(["error": message]))))
    }

    static func tooMany(_ wait: Double) -> Response {
        var response = problem(.tooManyRequests, "too many failed logins: try again in \(Int(wait.rounded(.up))) s")
        response.headers[.retryAfter] = String(Int(wait.rounded(.up)))
        return response
    }
}

/// Sorted-key JSON for the API's answers.
enum JSON {
    static func encode(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A Codable body; what pages of rows answer with (cheaper than dictionaries).
    static func response<T: Encodable>(encoding value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The bodies hold strings, integers and finite numbers: encoding cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func response(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: encode(object))))
    }
}
