/// `[web]`: facegate-web, the operator's console.
///
/// Loopback by default: the console shows faces and changes who may open doors, so it goes
/// beyond this machine only when `allow_remote = true` says so (or behind a reverse proxy on
/// loopback, which is how deploy/README.md puts it on a network).
public struct WebSettings: Equatable, Sendable {
    public var listen: ListenAddress
    public var allowRemote: Bool
    /// PEM files; both or neither. With them the console speaks HTTPS itself.
    public var tlsCertFile: String?
    public var tlsKeyFile: String?
    /// Cookies carry `Secure` (sent over HTTPS only; browsers also keep them for
    /// http://localhost). Off only for a plain-HTTP console reached by another name.
    public var secureCookies: Bool
    /// A session ends this long after its last request.
    public var sessionIdleSeconds: Double
    /// Failed logins allowed per user name and per client address within `loginWindowSeconds`.
    public var loginAttempts: Int
    public var loginWindowSeconds: Double

    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 8450)

    public init(listen: ListenAddress = WebSettings.defaultListen, allowRemote: Bool = false, tlsCertFile: String? = nil,
                tlsKeyFile: String? = nil, secureCookies: Bool = true, sessionIdleSeconds: Double = 3600,
                loginAttempts: Int = 5, loginWindowSeconds: Double = 300) {
        self.listen = listen
        self.allowRemote = allowRemote
        self.tlsCertFile = tlsCertFile
        self.tlsKeyFile = tlsKeyFile
        self.secureCookies = secureCookies
        self.sessionIdleSeconds = sessionIdleSeconds
        self.loginAttempts = loginAttempts
        self.loginWindowSeconds = loginWindowSeconds
    }

    public var usesTLS: Bool { tlsCertFile != nil }

    init(_ reader: TableReader) {
        allowRemote = reader.bool("allow_remote", default: false)
        listen = Self.defaultListen
        if let text = reader.string("listen") {
            do {
                let parsed = try ListenAddress(parsing: text)
                if !allowRemote && !parsed.isLoopback {
                    reader.problem("listen", "\(parsed) is not a loopback address (127.0.0.0/8); set allow_remote = true to serve the console beyond this machine (or put a reverse proxy in front)")
                } else {
                    listen = parsed
                }
            } catch {
                reader.problem("listen", error.description)
            }
        }
        tlsCertFile = reader.nonEmptyString("tls_cert_file")
        tlsKeyFile = reader.nonEmptyString("tls_key_file")
        if (tlsCertFile == nil) != (tlsKeyFile == nil) {
            reader.problem(tlsCertFile == nil ? "tls_key_file" : "tls_cert_file", "TLS needs both tls_cert_file and tls_key_file")
            tlsCertFile = nil
            tlsKeyFile = nil
        }
        secureCookies = reader.bool("secure_cookies", default: true)
        sessionIdleSeconds = reader.number("session_idle", default: 3600, in: 1...604_800)
        loginAttempts = reader.int("login_attempts", default: 5, in: 1...1000)
        loginWindowSeconds = reader.number("login_window", default: 300, in: 1...86_400)
        reader.finish()
    }
}
