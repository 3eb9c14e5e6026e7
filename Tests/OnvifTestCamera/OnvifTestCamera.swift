import Foundation
import OnvifEvents
#if canImport(Glibc)
import Glibc
import ProcessSupport
#endif

/// An ONVIF camera's device and event services on 127.0.0.1, for tests: GetSystemDateAndTime,
/// GetCapabilities, GetServices, CreatePullPointSubscription, PullMessages (long poll), Renew,
/// Unsubscribe, answered as the ONVIF Core and Event specifications describe, with motion
/// events on `tns1:RuleEngine/CellMotionDetector/Motion` (IsMotion) and
/// `tns1:VideoSource/MotionAlarm` (State).
///
/// It checks WS-Security digests itself (a wrong one is a `ter:NotAuthorized` fault, HTTP 400)
/// against its own clock, and has the quirks real cameras have: a clock hours off, a
/// subscription that ends long before the termination it announced, faults for Renew, and —
/// on demand — malformed XML, a 10 MB body, a body that never ends. `stop()` then `start()`
/// is a camera restart: same port, every subscription forgotten.
public final class OnvifTestCamera: Sendable {
    public struct Quirks: Sendable {
        /// The camera's clock minus the real one.
        public var clockOffsetSeconds: Double = 0
        /// A subscription silently ends this long after it was created or renewed, whatever it announced.
        public var subscriptionDiesAfter: Double?
        /// Renew is answered with a fault (the client must subscribe again).
        public var faultOnRenew = false
        /// How far a digest's Created may be from the camera's clock.
        public var createdTolerance: Double = 300
        public init() {}
    }

    /// What the next PullMessages answers get instead of a proper response.
    public enum Sabotage: Sendable, Equatable {
        /// 200 OK with XML that does not close its elements.
        case malformedXML
        /// 200 OK announcing and streaming `bytes` (Content-Length set).
        case hugeAnnounced(bytes: Int)
        /// 200 OK streaming `bytes` chunked, with no length announced.
        case hugeChunked(bytes: Int)
        /// 200 OK, a few bytes, then one byte every half second until the client leaves.
        case neverEnding
    }

    public enum MotionSource: String, Sendable, CaseIterable {
        case cellMotion, motionAlarm
    }

    /// One request the camera received.
    public struct Request: Sendable, Equatable {
        public var operation: String
        public var path: String
        /// nil: not checked (GetSystemDateAndTime); false: refused.
        public var authorized: Bool?
        /// Why it was refused.
        public var refusal: String? = nil
    }

    private struct Subscription {
        var id: Int
        var terminationCameraNs: Int64
        var diesAtRealNs: Int64
        var queue: [String] = []
    }

    private struct State {
        var username: String
        var password: String
        var quirks: Quirks
        var port: UInt16 = 0
        var listener: Int32 = -1
        var running = false
        var generation = 0
        var clients: Set<Int32> = []
        var subscriptions: [Int: Subscription] = [:]
        var nextSubscription = 1
        var motion: [MotionSource: Bool] = [.cellMotion: false, .motionAlarm: false]
        var sabotage: [Sabotage] = []
        var requests: [Request] = []
    }

    private let state: Locked<State>

    public init(username: String = "admin", password: String = "camera-secret", quirks: Quirks = Quirks()) {
        state = Locked(State(username: username, password: password, quirks: quirks))
    }

    deinit { stop() }

    // MARK: Control

    public var port: UInt16 { state.withLock { $0.port } }
    public var deviceURL: String { "http://127.0.0.1:\(port)/onvif/device_service" }
    public var requests: [Request] { state.withLock { $0.requests } }
    public var activeSubscriptions: Int { state.withLock { $0.subscriptions.count } }

    public var quirks: Quirks {
        get { state.withLock { $0.quirks } }
        set { state.withLock { $0.quirks = newValue } }
    }

    public var password: String {
        get { state.withLock { $0.password } }
        set { state.withLock { $0.password = newValue } }
    }

    /// Operations received, in order.
    public func operations(_ name: String? = nil) -> [Request] {
        state.withLock { s in s.requests.filter { name == nil || $0.operation == name } }
    }

    /// The camera's motion source goes on or off: a Changed notification for every subscription.
    public func setMotion(_ on: Bool, source: MotionSource = .cellMotion) {
        state.withLock { s in
            s.motion[source] = on
            let message = Self.notification(source, on, operation: "Changed", at: cameraNow(s))
            for id in s.subscriptions.keys { s.subscriptions[id]!.queue.append(message) }
        }
    }

    /// The next `count` PullMessages are answered with `sabotage`.
    public func sabotage(_ sabotage: Sabotage, count: Int = 1) {
        state.withLock { s in s.sabotage += Array(repeating: sabotage, count: count) }
    }

    /// Listens on 127.0.0.1 (the same port again after a `stop()`).
    public func start() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CameraError.socket("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = state.withLock { $0.port }.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let e = errno
            close(fd)
            throw CameraError.socket("bind/listen on 127.0.0.1: errno \(e)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let generation = state.withLock { s -> Int in
            s.listener = fd
            s.port = UInt16(bigEndian: address.sin_port)
            s.running = true
            s.generation += 1
            return s.generation
        }
        Thread.detachNewThread { [self] in acceptLoop(fd, generation: generation) }
    }

    /// The camera goes away: listener and every connection closed, subscriptions forgotten.
    public func stop() {
        let (listener, clients) = state.withLock { s -> (Int32, Set<Int32>) in
            defer { s.listener = -1; s.running = false; s.clients = []; s.subscriptions = [:]; s.sabotage = [] }
            return (s.listener, s.clients)
        }
        if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
        for fd in clients { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    // MARK: HTTP

    private func acceptLoop(_ listener: Int32, generation: Int) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let accepted = state.withLock { s -> Bool in
                guard s.running, s.generation == generation else { return false }
                s.clients.insert(fd)
                return true
            }
            guard accepted else { close(fd); return }
            Thread.detachNewThread { [self] in
                serve(fd, generation: generation)
                state.withLock { _ = $0.clients.remove(fd) }
                close(fd)
            }
        }
    }

    private func serve(_ fd: Int32, generation: Int) {
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return }
            buffer += chunk[0..<n]
            headerEnd = Self.find([13, 10, 13, 10], in: buffer)
            if buffer.count > 65536 { return }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        let path = requestLine.count > 1 ? String(requestLine[1]) : "/"
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        if headers["expect"]?.lowercased() == "100-continue" { write(fd, "HTTP/1.1 100 Continue\r\n\r\n") }
        var body = Array(buffer[(headerEnd! + 4)...])
        while body.count < length {
            let n = recv(fd, &chunk, min(chunk.count, length - body.count), 0)
            guard n > 0 else { return }
            body += chunk[0..<n]
        }
        let reply = handle(path: path, body: Data(body), generation: generation)
        switch reply {
        case let .soap(status, xml):
            respond(fd, status: status, body: Array(xml.utf8))
        case let .sabotaged(kind):
            sabotage(fd, kind, generation: generation)
        }
    }

    private func respond(_ fd: Int32, status: Int, body: [UInt8]) {
        let reason = status == 200 ? "OK" : status == 400 ? "Bad Request" : "Internal Server Error"
        write(fd, "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/soap+xml; charset=utf-8\r\n"
              + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n")
        writeBytes(fd, body)
    }

    private func sabotage(_ fd: Int32, _ kind: Sabotage, generation: Int) {
        let filler = Array(String(repeating: "<wsnt:NotificationMessage/>", count: 2400).utf8)
        switch kind {
        case .malformedXML:
            respond(fd, status: 200, body: Array(("<?xml version=\"1.0\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"\(Namespace.soap12)\">"
                + "<SOAP-ENV:Body><tev:PullMessagesResponse xmlns:tev=\"\(Namespace.events)\"><tev:CurrentTime>2024"
                + "</SOAP-ENV:Body>").utf8))
        case let .hugeAnnounced(bytes):
            write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: \(bytes)\r\nConnection: close\r\n\r\n")
            var sent = 0
            while sent < bytes, isCurrent(generation) {
                let part = Array(filler.prefix(bytes - sent))
                guard writeBytes(fd, part) else { return }
                sent += part.count
            }
        case let .hugeChunked(bytes):
            write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            var sent = 0
            while sent < bytes, isCurrent(generation) {
                let part = Array(filler.prefix(bytes - sent))
                guard writeBytes(fd, Array("\(String(part.count, radix: 16))\r\n".utf8) + part + [13, 10]) else { return }
                sent += part.count
            }
            write(fd, "0\r\n\r\n")
        case .neverEnding:
            write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n<?xml")
            let started = Date()
            while isCurrent(generation), Date().timeIntervalSince(started) < 300 {
                Thread.sleep(forTimeInterval: 0.5)
                guard writeBytes(fd, [0x20]) else { return }
            }
        }
    }

    private func isCurrent(_ generation: Int) -> Bool { state.withLock { $0.running && $0.generation == generation } }

    @discardableResult
    private func write(_ fd: Int32, _ text: String) -> Bool { writeBytes(fd, Array(text.utf8)) }

    @discardableResult
    private func writeBytes(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }

    // MARK: SOAP

    private enum Reply {
        case soap(Int, String)
        case sabotaged(Sabotage)
    }

    private func handle(path: String, body: Data, generation: Int) -> Reply {
        let header: SOAPElement?, request: SOAPElement
        do {
            let envelope = try SOAPDocument.envelope(body)
            guard let first = envelope.body.children.first else { throw SOAPParseError.notSOAP("empty Body") }
            (header, request) = (envelope.header, first)
        } catch {
            record(Request(operation: "?", path: path, authorized: nil))
            return .soap(400, Self.fault("env:Sender", "ter:WellFormed", "\(error)"))
        }
        let operation = request.name
        if operation == "GetSystemDateAndTime" {
            record(Request(operation: operation, path: path, authorized: nil))
            return .soap(200, Self.systemTime(state.withLock { cameraNow($0) }))
        }
        let refusal = state.withLock { s -> String? in
            guard let token = UsernameToken.received(in: header) else { return "no UsernameToken" }
            guard token.username == s.username else { return "unknown user \(token.username)" }
            guard token.verifies(password: s.password) else { return "digest does not match the password" }
            guard let created = token.created.flatMap(XMLDateTime.parse) else {
                return token.passwordType?.hasSuffix("#PasswordText") == true ? nil : "no valid Created"
            }
            let skew = Double(created - cameraNow(s)) / 1e9
            return abs(skew) <= s.quirks.createdTolerance ? nil : "Created \(token.created ?? "") is \(Int(skew)) s from the camera's clock"
        }
        let authorized = refusal == nil
        record(Request(operation: operation, path: path, authorized: authorized, refusal: refusal))
        guard authorized else { return .soap(400, Self.fault("env:Sender", "ter:NotAuthorized", "Sender not Authorized")) }

        let base = "http://127.0.0.1:\(port)"
        switch operation {
        case "GetCapabilities":
            return .soap(200, Self.envelope("<tds:GetCapabilitiesResponse><tds:Capabilities>"
                + "<tt:Device><tt:XAddr>\(base)/onvif/device_service</tt:XAddr></tt:Device>"
                + "<tt:Events><tt:XAddr>\(base)/onvif/event_service</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
                + "<tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
                + "</tds:Capabilities></tds:GetCapabilitiesResponse>"))
        case "GetServices":
            func service(_ ns: String, _ path: String) -> String {
                "<tds:Service><tds:Namespace>\(ns)</tds:Namespace><tds:XAddr>\(base)\(path)</tds:XAddr>"
                    + "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
            }
            return .soap(200, Self.envelope("<tds:GetServicesResponse>" + service(Namespace.device, "/onvif/device_service")
                + service(Namespace.events, "/onvif/event_service") + "</tds:GetServicesResponse>"))
        case "CreatePullPointSubscription":
            let requested = request.child(named: "InitialTerminationTime")?.trimmedText
            let (id, now, termination) = state.withLock { s -> (Int, Int64, Int64) in
                let now = cameraNow(s)
                let lifetime = Self.lifetime(requested, cameraNow: now) ?? 60_000_000_000
                let id = s.nextSubscription
                s.nextSubscription += 1
                var sub = Subscription(id: id, terminationCameraNs: now + lifetime,
                                       diesAtRealNs: realNow() + (s.quirks.subscriptionDiesAfter.map { Int64($0 * 1e9) } ?? lifetime))
                // The current state of every motion source, as the first messages (ONVIF Event §9.3.5).
                for source in MotionSource.allCases {
                    sub.queue.append(Self.notification(source, s.motion[source] ?? false, operation: "Initialized", at: now))
                }
                s.subscriptions[id] = sub
                return (id, now, now + lifetime)
            }
            return .soap(200, Self.envelope("<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
                + "<wsa5:Address>\(base)/onvif/subscription/\(id)</wsa5:Address></tev:SubscriptionReference>"
                + "<wsnt:CurrentTime>\(XMLDateTime.format(now, fractionDigits: 0))</wsnt:CurrentTime>"
                + "<wsnt:TerminationTime>\(XMLDateTime.format(termination, fractionDigits: 0))</wsnt:TerminationTime>"
                + "</tev:CreatePullPointSubscriptionResponse>"))
        case "PullMessages", "Renew", "Unsubscribe":
            return subscriptionCall(operation, request: request, path: path, generation: generation)
        default:
            return .soap(400, Self.fault("env:Receiver", "ter:ActionNotSupported", "\(operation) is not supported"))
        }
    }

    private func subscriptionCall(_ operation: String, request: SOAPElement, path: String, generation: Int) -> Reply {
        guard path.hasPrefix("/onvif/subscription/"), let id = Int(path.dropFirst("/onvif/subscription/".count)) else {
            return .soap(400, Self.fault("env:Sender", "ter:InvalidArgVal", "no subscription at \(path)"))
        }
        let alive = state.withLock { s -> Bool in
            guard let sub = s.subscriptions[id] else { return false }
            if realNow() >= sub.diesAtRealNs { s.subscriptions[id] = nil; return false }
            return true
        }
        guard alive else { return .soap(400, Self.unknownSubscription(id)) }
        switch operation {
        case "Unsubscribe":
            state.withLock { _ = $0.subscriptions.removeValue(forKey: id) }
            return .soap(200, Self.envelope("<wsnt:UnsubscribeResponse/>"))
        case "Renew":
            if state.withLock({ $0.quirks.faultOnRenew }) {
                return .soap(500, Self.fault("env:Receiver", "ter:Action", "Renew is not supported; subscribe again"))
            }
            let requested = request.child(named: "TerminationTime")?.trimmedText
            let (now, termination) = state.withLock { s -> (Int64, Int64) in
                let now = cameraNow(s)
                let lifetime = Self.lifetime(requested, cameraNow: now) ?? 60_000_000_000
                s.subscriptions[id]?.terminationCameraNs = now + lifetime
                s.subscriptions[id]?.diesAtRealNs = realNow() + (s.quirks.subscriptionDiesAfter.map { Int64($0 * 1e9) } ?? lifetime)
                return (now, now + lifetime)
            }
            return .soap(200, Self.envelope("<wsnt:RenewResponse><wsnt:TerminationTime>\(XMLDateTime.format(termination, fractionDigits: 0))</wsnt:TerminationTime>"
                + "<wsnt:CurrentTime>\(XMLDateTime.format(now, fractionDigits: 0))</wsnt:CurrentTime></wsnt:RenewResponse>"))
        default:
            if let sabotage = state.withLock({ s in s.sabotage.isEmpty ? nil : s.sabotage.removeFirst() }) {
                return .sabotaged(sabotage)
            }
            let wait = min(Self.lifetime(request.child(named: "Timeout")?.trimmedText, cameraNow: 0).map { Double($0) / 1e9 } ?? 5, 20)
            let limit = Int(request.child(named: "MessageLimit")?.trimmedText ?? "") ?? 100
            let deadline = Date().addingTimeInterval(wait)
            while true {
                let taken = state.withLock { s -> (messages: [String], now: Int64, termination: Int64)? in
                    guard s.running, s.generation == generation, let sub = s.subscriptions[id] else { return nil }
                    let count = min(limit, sub.queue.count)
                    let messages = Array(sub.queue.prefix(count))
                    s.subscriptions[id]!.queue.removeFirst(count)
                    return (messages, cameraNow(s), sub.terminationCameraNs)
                }
                guard let taken else { return .soap(400, Self.unknownSubscription(id)) }
                if !taken.messages.isEmpty || Date() >= deadline {
                    return .soap(200, Self.envelope("<tev:PullMessagesResponse>"
                        + "<tev:CurrentTime>\(XMLDateTime.format(taken.now, fractionDigits: 0))</tev:CurrentTime>"
                        + "<tev:TerminationTime>\(XMLDateTime.format(taken.termination, fractionDigits: 0))</tev:TerminationTime>"
                        + taken.messages.joined() + "</tev:PullMessagesResponse>"))
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    private func record(_ request: Request) { state.withLock { $0.requests.append(request) } }

    private func realNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }
    private func cameraNow(_ s: State) -> Int64 { realNow() + Int64(s.quirks.clockOffsetSeconds * 1e9) }

    /// xs:duration (`PT60S`, `PT1M`, `PT1H30M`) or an absolute xs:dateTime on the camera's clock.
    static func lifetime(_ text: String?, cameraNow: Int64) -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        if text.hasPrefix("PT") {
            var seconds = 0.0, number = ""
            for ch in text.dropFirst(2) {
                if ch.isNumber || ch == "." { number.append(ch); continue }
                guard let value = Double(number) else { return nil }
                switch ch {
                case "H": seconds += value * 3600
                case "M": seconds += value * 60
                case "S": seconds += value
                default: return nil
                }
                number = ""
            }
            return Int64(seconds * 1e9)
        }
        return XMLDateTime.parse(text).map { max(0, $0 - cameraNow) }
    }

    // MARK: Messages

    static let namespaces = "xmlns:SOAP-ENV=\"\(Namespace.soap12)\" xmlns:tds=\"\(Namespace.device)\" xmlns:tt=\"\(Namespace.schema)\" "
        + "xmlns:tev=\"\(Namespace.events)\" xmlns:wsnt=\"\(Namespace.notification)\" xmlns:wsa5=\"\(Namespace.addressing)\" "
        + "xmlns:ter=\"\(Namespace.error)\" xmlns:tns1=\"\(Namespace.topics)\""

    static func envelope(_ body: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope \(namespaces)><SOAP-ENV:Body>\(body)</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    }

    static func fault(_ code: String, _ subcode: String, _ reason: String) -> String {
        envelope("<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>\(code.replacingOccurrences(of: "env:", with: "SOAP-ENV:"))</SOAP-ENV:Value>"
            + "<SOAP-ENV:Subcode><SOAP-ENV:Value>\(subcode)</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>"
            + "<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang=\"en\">\(XMLText.escape(reason))</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>")
    }

    static func unknownSubscription(_ id: Int) -> String {
        envelope("<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Receiver</SOAP-ENV:Value>"
            + "<SOAP-ENV:Subcode><SOAP-ENV:Value xmlns:wsrf-rw=\"http://docs.oasis-open.org/wsrf/rw-2\">wsrf-rw:ResourceUnknownFault</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>"
            + "<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang=\"en\">subscription \(id) is unknown or has expired</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>")
    }

    static func systemTime(_ now: Int64) -> String {
        let text = XMLDateTime.format(now, fractionDigits: 0)
        let d = text.prefix(10).split(separator: "-").map { Int($0)! }
        let t = text.dropFirst(11).prefix(8).split(separator: ":").map { Int($0)! }
        return envelope("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>"
            + "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>"
            + "<tt:UTCDateTime><tt:Time><tt:Hour>\(t[0])</tt:Hour><tt:Minute>\(t[1])</tt:Minute><tt:Second>\(t[2])</tt:Second></tt:Time>"
            + "<tt:Date><tt:Year>\(d[0])</tt:Year><tt:Month>\(d[1])</tt:Month><tt:Day>\(d[2])</tt:Day></tt:Date></tt:UTCDateTime>"
            + "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")
    }

    /// Cell motion with tns1 declared on the Envelope; the motion alarm with its topic
    /// namespace declared on the Topic under another prefix, as some cameras do.
    static func notification(_ source: MotionSource, _ on: Bool, operation: String, at now: Int64) -> String {
        let time = XMLDateTime.format(now)
        switch source {
        case .cellMotion:
            return "<wsnt:NotificationMessage><wsnt:Topic Dialect=\"http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet\">"
                + "tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic><wsnt:Message>"
                + "<tt:Message UtcTime=\"\(time)\" PropertyOperation=\"\(operation)\"><tt:Source>"
                + "<tt:SimpleItem Name=\"VideoSourceConfigurationToken\" Value=\"VideoSourceToken\"/>"
                + "<tt:SimpleItem Name=\"VideoAnalyticsConfigurationToken\" Value=\"VideoAnalyticsToken\"/>"
                + "<tt:SimpleItem Name=\"Rule\" Value=\"MyMotionDetectorRule\"/></tt:Source>"
                + "<tt:Data><tt:SimpleItem Name=\"IsMotion\" Value=\"\(on)\"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>"
        case .motionAlarm:
            return "<wsnt:NotificationMessage><wsnt:Topic xmlns:ns9=\"\(Namespace.topics)\" Dialect=\"http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet\">"
                + "ns9:VideoSource/MotionAlarm</wsnt:Topic><wsnt:Message>"
                + "<tt:Message UtcTime=\"\(time)\" PropertyOperation=\"\(operation)\"><tt:Source>"
                + "<tt:SimpleItem Name=\"Source\" Value=\"VideoSourceToken\"/></tt:Source>"
                + "<tt:Data><tt:SimpleItem Name=\"State\" Value=\"\(on)\"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>"
        }
    }
}

public enum CameraError: Error, CustomStringConvertible {
    case socket(String)
    public var description: String {
        switch self { case let .socket(why): "test camera: \(why)" }
    }
}
