import GalleryStore
import Hummingbird

/// The request context: the client's address (for the login limiter) and, once the auth
/// middleware has run, the session or API account behind the request.
public struct ConsoleContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let clientAddress: String
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        principal = nil
    }

    /// Who is asking: a browser session, or a script with HTTP Basic credentials.
    public struct Principal: Sendable {
        public var user: String
        public var role: ConsoleRole
        /// nil for Basic: no cookie, nothing another site could make the browser send.
        public var session: ConsoleSession?
    }

    /// The request's principal; the auth middleware guarantees one past the public paths.
    var who: Principal { principal! }
}
