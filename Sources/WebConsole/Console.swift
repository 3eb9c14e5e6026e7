import BrokerCore
import FacegateConfig
import Foundation
import GalleryStore
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Synchronization

/// facegate-web's state and its routes: the pages, the JSON API and the event stream, over
/// one GalleryStore and the broker's control socket.
public final class Console: Sendable {
    /// What the console needs from the configuration.
    public struct Setup: Sendable {
        public var web: WebSettings
        public var locks: [String]
        public var cameras: [(id: String, locks: [String])]
        public var brokerSocket: String
        /// Unknown faces closer than this are one group (the broker's match threshold).
        public var matchThreshold: Double
        /// For photo uploads: the `facegate` executable and the configuration it is run with,
        /// so an uploaded photo passes exactly `facegate faces enroll`'s checks. nil: no uploads.
        public var enrollTool: (executable: String, config: String)?

        public init(web: WebSettings, locks: [String], cameras: [(id: String, locks: [String])], brokerSocket: String,
                    matchThreshold: Double = 0.5) {
            self.web = web; self.locks = locks; self.cameras = cameras; self.brokerSocket = brokerSocket
            self.matchThreshold = matchThreshold
        }

        public init(_ configuration: FacegateConfiguration) {
            self.init(web: configuration.web, locks: configuration.locks.map(\.id),
                      cameras: configuration.cameras.map { ($0.id, $0.locks) },
                      brokerSocket: "\(configuration.runtime.socketsDirectory)/broker.ctl",
                      matchThreshold: configuration.decision.matchThreshold)
        }
    }

    public static let sessionCookie = "fg_session"
    public static let loginCookie = "fg_login"
    static let maxUpload = 20 * 1024 * 1024

    let setup: Setup
    let store: GalleryStore
    let sessions: SessionStore
    let limiter: Mutex<LoginLimiter>
    let broker: BrokerLink
    let monotonic: @Sendable () -> Double
    private let stopping = Atomic<Bool>(false)

    public init(setup: Setup, store: GalleryStore, monotonic: @escaping @Sendable () -> Double = Console.monotonicSeconds) {
        self.setup = setup
        self.store = store
        self.monotonic = monotonic
        sessions = SessionStore(idleSeconds: setup.web.sessionIdleSeconds, now: monotonic)
        limiter = Mutex(LoginLimiter(limit: setup.web.loginAttempts, window: setup.web.loginWindowSeconds))
        broker = BrokerLink(socketPath: setup.brokerSocket)
    }

    public static let monotonicSeconds: @Sendable () -> Double = {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Ends the event streams, so a graceful shutdown does not wait on them.
    public func stop() { stopping.store(true, ordering: .relaxed) }
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    public func router() -> Router<ConsoleContext> {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: ConsoleAuth(console: self))
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
        }
        // Browsers ask for it on every site; there is none (and no redirect to /login).
        router.get("/favicon.ico") { _, _ in Response(status: .notFound) }
        addLoginRoutes(router)
        addLiveRoutes(router)
        addDecisionRoutes(router)
        addMemberRoutes(router)
        addPhotoUploadRoute(router)
        addUnknownFaceRoutes(router)
        addAPIRoutes(router)
        return router
    }

    // MARK: Checking passwords

    enum LoginOutcome: Equatable {
        case ok(ConsoleUser)
        case wrong
        case limited(retryAfter: Double)
    }

    /// Checks a password with the limiter in front: once a name or an address has failed too
    /// often the password is not even looked at, so guessing costs time whatever the guess.
    func checkPassword(user name: String, password: String, client: String) async -> LoginOutcome {
        let keys = ["user:" + name.lowercased(), "addr:" + client]
        if let wait = limiter.withLock({ $0.retryAfter(keys, now: monotonic()) }) { return .limited(retryAfter: wait) }
        let credentials = try? store.consoleCredentials(name: name)
        // bcrypt takes a quarter second at cost 12: off the event loop. A missing user costs
        // the same as a wrong password (a dummy hash), so names cannot be probed by timing.
        let hash = credentials?.passwordHash ?? Self.dummyHash
        let matches = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Bcrypt.verify(password, hash: hash)) }
        }
        if let credentials, matches {
            limiter.withLock { $0.recordSuccess("user:" + name.lowercased()) }
            return .ok(credentials.user)
        }
        limiter.withLock { $0.recordFailure(keys, now: monotonic()) }
        return .wrong
    }

    static let dummyHash = Bcrypt.hash("not a password anyone has", cost: 12)

    /// Writes what `principal` changed; a failure to write is logged by the caller's error.
    func audit(_ who: ConsoleContext.Principal, _ action: String, _ detail: String) throws {
        try store.recordAdminAction(user: who.user, action: action, detail: detail)
    }
}

/// Headers every answer carries: no framing, no sniffing, scripts and styles from the page only.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = ConsoleContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        let isAPI = request.uri.path.hasPrefix("/api/")
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = Self.refusal(error.status, error.body ?? error.status.reasonPhrase, api: isAPI)
        } catch let error as GalleryStoreError {
            response = Self.refusal(Self.status(of: error), error.description, api: isAPI)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("request failed: \(error)", metadata: ["path": "\(request.uri.path)"])
            response = Self.refusal(.internalServerError, "internal error (see facegate-web's log)", api: isAPI)
        }
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] =
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        }
        return response
    }

    /// What the store refused, as the HTTP status a client can act on.
    static func status(of error: GalleryStoreError) -> HTTPResponse.Status {
        switch error {
        case .duplicateMemberName, .duplicateGrant, .duplicateFace, .duplicateUser, .duplicateCrop: .conflict
        case .unknownMember, .unknownGrant, .unknownFace, .unknownUser, .unknownAuditRow, .noCrop: .notFound
        case .invalidMemberName, .invalidLockID, .invalidSourceHash, .invalidField, .invalidUserName, .cropWithoutDescriptor: .badRequest
        case .cannotOpen, .schemaTooNew, .corruptRow: .internalServerError
        }
    }

    /// JSON for the API, a small page with a way back for the browser.
    static func refusal(_ status: HTTPResponse.Status, _ message: String, api: Bool) -> Response {
        if api { return ConsoleAuth.problem(status, message) }
        return Layout.htmlResponse("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>\(status.code) · facegate</title><style>\(Layout.style)</style></head><body><main>
            <h1>\(status.code) \(html(status.reasonPhrase))</h1><p class="err" id="refusal">\(html(message))</p>
            <p><a href="javascript:history.back()">Back</a> · <a href="/">Live</a></p></main></body></html>
            """, status: status)
    }
}
