import Foundation
import OnvifEvents
import ProcessSupport

/// The ONVIF conversation with one camera: its clock, its event service, a PullPoint
/// subscription, PullMessages long polls, Renew before the subscription ends, Unsubscribe at
/// the end. Every call goes through `SOAPClient` (bounded), every answer through OnvifEvents'
/// readers (strict), so a camera that sends garbage, floods or hangs costs one failed call.
struct CameraSession {
    struct Settings: Sendable {
        var deviceURL: URL
        var username: String
        var password: String
        var pullTimeout: Int
        var subscriptionSeconds: Int
        var requestTimeout: Double
        var maxResponseBytes: Int
    }

    /// Which call failed, and how: what the log line says when the camera refuses.
    struct CallFailure: Error, CustomStringConvertible {
        var call: String
        var url: String
        var underlying: any Error
        var isNotAuthorized: Bool { (underlying as? SOAPFault)?.isNotAuthorized == true }
        var description: String {
            let why = isNotAuthorized
                ? "\(underlying) — the camera refused the username/password (check onvif.username and password_file; the digest is already stamped on the camera's clock)"
                : "\(underlying)"
            return "\(call) to \(url): \(why)"
        }
    }

    let settings: Settings
    let client: SOAPClient
    /// The camera's clock minus ours, from GetSystemDateAndTime.
    private(set) var clockOffsetNs: Int64 = 0
    private(set) var subscription: PullPointSubscription?
    /// CLOCK_MONOTONIC instant at which the camera ends the subscription unless renewed.
    private(set) var terminationMonotonicNs: UInt64 = 0

    init(settings: Settings) {
        self.settings = settings
        client = SOAPClient(maxBytes: settings.maxResponseBytes)
    }

    /// Whether `error` means the subscription no longer exists or the camera cannot be
    /// reached (an Unsubscribe would be pointless).
    static func subscriptionIsGone(after error: any Error) -> Bool {
        guard let failure = error as? CallFailure else { return false }
        if case .transport? = failure.underlying as? HTTPFailure { return true }
        return (failure.underlying as? SOAPFault)?.subcodes.contains { $0.hasSuffix("ResourceUnknownFault") } == true
    }

    // MARK: Calls

    private func call(_ c: OnvifCall, at url: URL, authenticated: Bool = true, subscription: PullPointSubscription? = nil,
                      timeout: Double? = nil) throws -> Data {
        let token = authenticated
            ? UsernameToken.fresh(username: settings.username, password: settings.password,
                                  nowWallNs: WallClock.nowNanoseconds(), cameraOffsetNs: clockOffsetNs)
            : nil
        let envelope = OnvifRequest.envelope(c, token: token, to: subscription?.address,
                                             referenceParameters: subscription?.referenceParameters ?? [])
        do {
            return try client.post(envelope, to: url, action: c.action, timeout: timeout ?? settings.requestTimeout)
        } catch {
            throw CallFailure(call: c.name, url: url.absoluteString, underlying: error)
        }
    }

    /// Reads a response, naming the call when it is refused.
    private func read<T>(_ c: OnvifCall, _ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw CallFailure(call: c.name, url: url.absoluteString, underlying: error) }
    }

    /// GetSystemDateAndTime (unauthenticated, as ONVIF requires): the offset of the camera's
    /// clock from ours, taken at the middle of the exchange.
    mutating func synchronizeClock() throws -> Int64 {
        let before = WallClock.nowNanoseconds()
        let data = try call(OnvifRequest.getSystemDateAndTime, at: settings.deviceURL, authenticated: false)
        let after = WallClock.nowNanoseconds()
        let cameraNow = try read(OnvifRequest.getSystemDateAndTime, settings.deviceURL) { try OnvifResponse.systemTime(data) }
        clockOffsetNs = cameraNow - (before / 2 + after / 2)
        return clockOffsetNs
    }

    /// The event service's address: GetCapabilities, or GetServices for cameras that answer
    /// only that. Refused credentials are not worth a second question.
    func eventServiceURL() throws -> URL {
        let address: String
        do {
            let data = try call(OnvifRequest.getCapabilities, at: settings.deviceURL)
            address = try read(OnvifRequest.getCapabilities, settings.deviceURL) { try OnvifResponse.eventsAddress(capabilities: data) }
        } catch let failure as CallFailure where !failure.isNotAuthorized {
            let data = try call(OnvifRequest.getServices, at: settings.deviceURL)
            address = try read(OnvifRequest.getServices, settings.deviceURL) { try OnvifResponse.eventsAddress(services: data) }
        }
        return try resolve(address, what: "event service XAddr")
    }

    /// Cameras behind NAT or with a stale configuration give XAddrs with another host: the
    /// path is theirs, the host and port are the one we reached.
    private func resolve(_ address: String, what: String) throws -> URL {
        guard var parts = URLComponents(string: address), parts.scheme == "http" || parts.scheme == "https" else {
            throw CallFailure(call: what, url: address, underlying: OnvifResponseError(what, "not an http(s) URL: \"\(address)\""))
        }
        let device = URLComponents(url: settings.deviceURL, resolvingAgainstBaseURL: false)
        parts.scheme = device?.scheme
        parts.host = device?.host
        parts.port = device?.port
        guard let url = parts.url else {
            throw CallFailure(call: what, url: address, underlying: OnvifResponseError(what, "unusable URL \"\(address)\""))
        }
        return url
    }

    mutating func subscribe(events: URL) throws -> PullPointSubscription {
        let c = OnvifRequest.createPullPointSubscription(terminationSeconds: settings.subscriptionSeconds)
        let data = try call(c, at: events)
        var created = try read(c, events) { try OnvifResponse.subscription(data) }
        created.address = try resolve(created.address, what: "subscription address").absoluteString
        subscription = created
        setTermination(current: created.currentTime, termination: created.terminationTime)
        return created
    }

    /// One long poll; the camera answers when it has messages or after pull_timeout.
    mutating func pull() throws -> PullMessagesResult {
        guard let subscription, let url = URL(string: subscription.address) else {
            throw CallFailure(call: "PullMessages", url: "-", underlying: OnvifResponseError("PullMessages", "no subscription"))
        }
        let c = OnvifRequest.pullMessages(timeoutSeconds: settings.pullTimeout, messageLimit: 32)
        let data = try call(c, at: url, subscription: subscription,
                            timeout: Double(settings.pullTimeout) + settings.requestTimeout)
        let result = try read(c, url) { try OnvifResponse.pullMessages(data) }
        if result.terminationTime != nil { setTermination(current: result.currentTime, termination: result.terminationTime) }
        return result
    }

    /// Seconds until the camera ends the subscription (by our monotonic clock).
    var secondsLeft: Double {
        Double(Int64(bitPattern: terminationMonotonicNs &- MonotonicClock.nowNanoseconds())) / 1e9
    }

    /// Whether to renew before the next pull: the next pull must end before the subscription.
    var needsRenewal: Bool {
        secondsLeft < min(Double(settings.subscriptionSeconds) / 2, Double(settings.pullTimeout) + settings.requestTimeout)
    }

    mutating func renew() throws {
        guard let subscription, let url = URL(string: subscription.address) else { return }
        let c = OnvifRequest.renew(terminationSeconds: settings.subscriptionSeconds)
        let data = try call(c, at: url, subscription: subscription)
        let renewed = try read(c, url) { try OnvifResponse.renew(data) }
        setTermination(current: renewed.currentTime, termination: renewed.terminationTime)
    }

    /// Best effort, bounded: the camera frees the subscription now rather than at its end.
    mutating func unsubscribe() throws {
        defer { subscription = nil }
        guard let subscription, let url = URL(string: subscription.address) else { return }
        _ = try call(OnvifRequest.unsubscribe, at: url, subscription: subscription, timeout: min(settings.requestTimeout, 3))
    }

    /// Termination on the camera's clock, turned into our monotonic clock (the camera's own
    /// offset cancels out: current and termination are both its readings).
    private mutating func setTermination(current: Int64?, termination: Int64?) {
        let lifetimeNs: Int64
        if let termination {
            let now = current ?? (WallClock.nowNanoseconds() &+ clockOffsetNs)
            lifetimeNs = max(0, termination - now)
        } else {
            lifetimeNs = Int64(settings.subscriptionSeconds) * 1_000_000_000
        }
        terminationMonotonicNs = MonotonicClock.nowNanoseconds() &+ UInt64(lifetimeNs)
    }
}
