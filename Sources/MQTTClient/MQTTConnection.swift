import CMosquitto
import Foundation
import ProcessSupport

/// One MQTT client connection over libmosquitto that reconnects forever.
///
/// Threading: `start()` spawns one network thread that owns the socket. Every event
/// (connected, subscribed, connectFailed, disconnected, message) is delivered on that thread,
/// one at a time, in order: handlers must be quick and must not call `stop()` (it waits for
/// that thread). `publish`, `publishUnlock` and `subscribe` may be called from any thread,
/// including from the handler.
///
/// Reconnection is ours rather than `mosquitto_loop_start`'s: its loop gives up for good on
/// some errors (DNS failure, TLS error, refused credentials in some versions), and a door
/// controller must keep trying while mosquitto or the network is being fixed.
public final class MQTTConnection: Sendable {
    private let core: ConnectionCore

    /// Checks the options (TLS files must be readable) and prepares the client; nothing is
    /// connected before `start()`.
    public init(options: MQTTOptions, log: Log = Log(component: "mqtt"),
                handler: @escaping @Sendable (MQTTEvent) -> Void) throws {
        core = try ConnectionCore(options: options, log: log, handler: handler)
    }

    deinit { core.stop() }

    /// Topics (filters, wildcards allowed) subscribed on every (re)connect. Adding one while
    /// connected subscribes at once.
    public func subscribe(_ filter: String, qos: Int = 0) { core.subscribe(filter, qos: qos) }

    /// Starts connecting in the background; returns at once.
    public func start() { core.start() }

    /// Disconnects cleanly and waits (at most `timeout` seconds) for the network thread to end.
    /// No event is delivered after this returns (unless the timeout passed).
    public func stop(timeout: Double = 10) { core.stop(timeout: timeout) }

    /// Whether the broker has accepted the current connection (CONNACK received).
    public var isConnected: Bool { core.isConnected }

    /// Messages dropped because they exceeded `maxPayloadBytes`.
    public var oversizeDropped: Int { core.oversizeDropped }

    /// Publishes a message. Returns whether libmosquitto accepted it for sending (it has not
    /// necessarily reached the broker). QoS 1/2 messages handed over while connected may be
    /// resent by libmosquitto after a reconnect: never use them for commands that must not
    /// repeat (see `publishUnlock`).
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: Int = 0, retain: Bool = false) -> Bool {
        core.publish(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    @discardableResult
    public func publish(topic: String, text: String, qos: Int = 0, retain: Bool = false) -> Bool {
        publish(topic: topic, payload: Array(text.utf8), qos: qos, retain: retain)
    }

    /// Publishes a lock command and reports, exactly once, what became of it.
    ///
    /// - QoS 1 (for idempotent payloads such as `{"state":"UNLOCK"}`): `.published` when the
    ///   PUBACK comes back. A duplicate is harmless, a late one is not: without a PUBACK by
    ///   `deadlineNanoseconds` (CLOCK_MONOTONIC) the outcome is `.unacknowledged`, and the connection is
    ///   dropped and the client's queue purged, so libmosquitto cannot resend the command after
    ///   a reconnect (it otherwise resends unacknowledged QoS 1 messages even with a clean
    ///   session).
    /// - QoS 0 (for `{"state":"TOGGLE"}`, which must never arrive twice): `.published` once it
    ///   is written to the socket; `.unknown` when the connection dropped or the deadline came
    ///   before that could be known (the caller must treat it as sent and never repeat it).
    /// - Never retained, never queued while disconnected: `.failed` at once.
    ///
    /// `completion` runs on the calling thread (immediate failures) or on the network thread;
    /// it must be quick.
    public func publishCommand(topic: String, payload: String, qos: Int, deadlineNanoseconds: UInt64,
                               completion: @escaping @Sendable (PublishOutcome) -> Void) {
        core.publishCommand(topic: topic, payload: Array(payload.utf8), qos: qos, deadlineNanoseconds: deadlineNanoseconds,
                            completion: completion)
    }

    /// Commands published and still waiting for their outcome.
    public var commandsInFlight: Int { core.commandsInFlight }
}

/// What became of a command given to `publishCommand`.
public enum PublishOutcome: Hashable, Sendable, CustomStringConvertible {
    /// QoS 1: PUBACK received. QoS 0: written to the socket.
    case published(String)
    /// Not handed over; the reason says why.
    case failed(String)
    /// QoS 1 only: written, but no PUBACK came (connection lost, or none by the deadline).
    /// Counts as failed (an UNLOCK may be sent again), yet it may have reached the lock.
    case unacknowledged(String)
    /// QoS 0 only: may or may not have been written; treat as sent.
    case unknown(String)

    public var description: String {
        switch self {
        case let .published(how): "published (\(how))"
        case let .failed(why): "failed (\(why))"
        case let .unacknowledged(why): "unacknowledged (\(why))"
        case let .unknown(why): "unknown (\(why))"
        }
    }
}

/// Library-wide initialisation, exactly once (mosquitto_lib_init is not thread safe).
private let mosquittoLibrary: Int32 = mosquitto_lib_init()

/// The state shared by the public façade, the network thread and libmosquitto's callbacks.
/// Reason for @unchecked: the libmosquitto client and `commands` are guarded by `clientLock`
/// and `lock` as documented below (a C library's object cannot live in a `Locked`).
final class ConnectionCore: @unchecked Sendable {
    let options: MQTTOptions
    let log: Log
    let handler: @Sendable (MQTTEvent) -> Void
    private var mosq: OpaquePointer?

    /// Held around every call into libmosquitto from outside the network thread and around
    /// `mosquitto_reinitialise` (which replaces the client's insides), and guards `commands`.
    /// It is held across `mosquitto_publish` so that the outcome callback, which may come on
    /// the network thread before `mosquitto_publish` has returned, finds the command entered.
    /// (libmosquitto calls that callback holding none of the locks `mosquitto_publish` takes.)
    /// Order: `clientLock` before `lock`.
    private let clientLock = NSLock()
    private var commands: [Int32: PendingCommand] = [:]
    /// Unacknowledged commands were abandoned: purge libmosquitto's queue before reconnecting.
    private var purgeBeforeReconnect = false

    private struct PendingCommand {
        var qos: Int
        var deadline: UInt64
        var topic: String
        var completion: @Sendable (PublishOutcome) -> Void
    }

    private let lock = NSLock()
    private var subscriptions: [(filter: String, qos: Int)] = []
    private var pendingSubscriptions: Set<Int32> = []
    private var connected = false
    private var everConnectedThisAttempt = false
    /// What libmosquitto said went wrong during the current attempt (see `failureReason`).
    private var attemptErrors: [String] = []
    private var dropped = 0
    private var started = false
    private let stopFlag = StopFlag()
    private let threadDone = StopFlag()

    init(options: MQTTOptions, log: Log, handler: @escaping @Sendable (MQTTEvent) -> Void) throws {
        self.options = options
        self.log = log.with(["broker": "\(options.host):\(options.port)", "client_id": options.clientID])
        self.handler = handler
        _ = mosquittoLibrary
        guard options.port > 0 && options.port < 65536 else { throw MQTTError.invalidOption("port \(options.port)") }
        guard !options.host.isEmpty else { throw MQTTError.invalidOption("empty host") }
        guard options.maxPayloadBytes > 0 else { throw MQTTError.invalidOption("maxPayloadBytes must be positive") }
        guard options.reconnectDelayMin > 0, options.reconnectDelayMax >= options.reconnectDelayMin else {
            throw MQTTError.invalidOption("reconnect delays must be positive, min <= max")
        }
        guard let mosq = mosquitto_new(options.clientID, options.cleanSession, nil) else {
            throw MQTTError.invalidOption("mosquitto_new failed for client id \"\(options.clientID)\": \(String(cString: strerror(errno)))")
        }
        self.mosq = mosq
        do {
            try configure(mosq)
        } catch {
            mosquitto_destroy(mosq)
            self.mosq = nil
            throw error
        }
    }

    deinit {
        if let mosq { mosquitto_destroy(mosq) }
    }

    private func configure(_ mosq: OpaquePointer) throws {
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        // Another thread (publish, subscribe) talks to the same client object.
        try check(mosquitto_threaded_set(mosq, true), "threaded_set")
        if options.username != nil || options.password != nil {
            try check(mosquitto_username_pw_set(mosq, options.username, options.password), "username/password")
        }
        if let ca = options.tlsCAFile {
            if (options.tlsCertFile == nil) != (options.tlsKeyFile == nil) {
                throw MQTTError.invalidOption("TLS client certificate and key go together")
            }
            for file in [ca, options.tlsCertFile, options.tlsKeyFile].compactMap({ $0 }) where access(file, R_OK) != 0 {
                throw MQTTError.invalidOption("cannot read TLS file \(file): \(String(cString: strerror(errno)))")
            }
            try check(mosquitto_tls_set(mosq, ca, nil, options.tlsCertFile, options.tlsKeyFile, nil), "TLS files")
            try check(mosquitto_tls_insecure_set(mosq, options.tlsInsecure), "tls_insecure")
        } else if options.tlsCertFile != nil || options.tlsKeyFile != nil {
            throw MQTTError.invalidOption("TLS certificate/key given without a CA file")
        }
        if let will = options.will {
            guard (0...2).contains(will.qos) else { throw MQTTError.invalidOption("will QoS \(will.qos)") }
            let payload = Array(will.payload.utf8)
            try check(payload.withUnsafeBytes {
                mosquitto_will_set(mosq, will.topic, Int32($0.count), $0.baseAddress, Int32(will.qos), will.retain)
            }, "will on \(will.topic)")
        }
        mosquitto_connect_callback_set(mosq) { _, obj, rc in
            ConnectionCore.from(obj)?.didConnect(rc: rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, obj, rc in
            ConnectionCore.from(obj)?.didDisconnect(rc: rc)
        }
        mosquitto_publish_callback_set(mosq) { _, obj, mid in
            ConnectionCore.from(obj)?.didPublish(mid: mid)
        }
        mosquitto_subscribe_callback_set(mosq) { _, obj, mid, count, granted in
            ConnectionCore.from(obj)?.didSubscribe(mid: mid, granted: Array(UnsafeBufferPointer(start: granted, count: Int(count))))
        }
        mosquitto_message_callback_set(mosq) { _, obj, message in
            guard let message else { return }
            ConnectionCore.from(obj)?.didReceive(message.pointee)
        }
        mosquitto_log_callback_set(mosq) { _, obj, level, text in
            guard let core = ConnectionCore.from(obj), let text else { return }
            if level == MOSQ_LOG_ERR || level == MOSQ_LOG_WARNING {
                core.log.debug("libmosquitto: \(String(cString: text))")
            }
            if level == MOSQ_LOG_ERR { core.noteAttemptError(String(cString: text)) }
        }
    }

    private func check(_ rc: Int32, _ what: String) throws {
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            throw MQTTError.invalidOption("\(what): \(String(cString: mosquitto_strerror(rc)))")
        }
    }

    static func from(_ obj: UnsafeMutableRawPointer?) -> ConnectionCore? {
        obj.map { Unmanaged<ConnectionCore>.fromOpaque($0).takeUnretainedValue() }
    }

    // MARK: Public operations

    var isConnected: Bool { lock.withLock { connected } }
    var oversizeDropped: Int { lock.withLock { dropped } }

    func subscribe(_ filter: String, qos: Int) {
        let sendNow: Bool = lock.withLock {
            if !subscriptions.contains(where: { $0.filter == filter }) { subscriptions.append((filter, qos)) }
            return connected
        }
        if sendNow, let mosq {
            var mid: Int32 = 0
            let rc = clientLock.withLock { mosquitto_subscribe(mosq, &mid, filter, Int32(qos)) }
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                log.warning("subscribe failed", ["topic": filter, "error": String(cString: mosquitto_strerror(rc))])
            }
        }
    }

    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) -> Bool {
        guard let mosq, (0...2).contains(qos) else { return false }
        var mid: Int32 = 0
        let rc = clientLock.withLock {
            payload.withUnsafeBytes { bytes in
                mosquitto_publish(mosq, &mid, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
            }
        }
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            log.warning("publish not accepted", ["topic": topic, "error": String(cString: mosquitto_strerror(rc))])
            return false
        }
        return true
    }

    var commandsInFlight: Int { clientLock.withLock { commands.count } }

    func publishCommand(topic: String, payload: [UInt8], qos: Int, deadlineNanoseconds: UInt64,
                        completion: @escaping @Sendable (PublishOutcome) -> Void) {
        guard let mosq, qos == 0 || qos == 1 else { return completion(.failed("QoS \(qos) is not used for commands")) }
        guard MonotonicClock.nowNanoseconds() < deadlineNanoseconds else {
            return completion(.failed("deadline passed before publishing"))
        }
        let refusal: String? = clientLock.withLock {
            // Checked under clientLock: a disconnect takes the same lock to abandon the commands
            // in flight, so none can slip into libmosquitto's queue unseen across a reconnect.
            guard lock.withLock({ connected }) else { return "MQTT not connected" }
            var mid: Int32 = 0
            let rc = payload.withUnsafeBytes { bytes in
                mosquitto_publish(mosq, &mid, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), false)
            }
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { return "publish refused: \(ConnectionCore.describe(rc))" }
            commands[mid] = PendingCommand(qos: qos, deadline: deadlineNanoseconds, topic: topic, completion: completion)
            return nil
        }
        if let refusal {
            log.warning("command not published", ["topic": topic, "error": refusal])
            completion(.failed(refusal))
        }
    }

    /// Takes every command still waiting (all of them, or those past their deadline) and marks
    /// the client's queue for purging.
    private func abandonCommands(dueBy now: UInt64? = nil) -> [PendingCommand] {
        clientLock.withLock {
            let due = commands.filter { now == nil || $0.value.deadline <= now! }
            for mid in due.keys { commands.removeValue(forKey: mid) }
            if !due.isEmpty { purgeBeforeReconnect = true }
            return due.sorted { $0.key < $1.key }.map(\.value)
        }
    }

    private func fail(_ abandoned: [PendingCommand], qos1 why1: String, qos0 why0: String) {
        for c in abandoned {
            log.warning("command outcome not seen", ["topic": c.topic, "qos": c.qos, "reason": c.qos == 1 ? why1 : why0])
            c.completion(c.qos == 1 ? .unacknowledged(why1) : .unknown(why0))
        }
    }

    /// Replaces the client's insides with a fresh client (same id and settings), dropping every
    /// message libmosquitto still holds. Network thread only, while disconnected.
    private func purgeClient(_ mosq: OpaquePointer) -> Bool {
        clientLock.withLock {
            guard purgeBeforeReconnect else { return true }
            let rc = mosquitto_reinitialise(mosq, options.clientID, options.cleanSession, nil)
            do {
                guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError.invalidOption("reinitialise: \(ConnectionCore.describe(rc))") }
                try configure(mosq)
                purgeBeforeReconnect = false
                log.info("client queue purged: no unacknowledged command can be resent")
                return true
            } catch {
                log.error("cannot purge the client's queue; not reconnecting yet", ["error": "\(error)"])
                return false
            }
        }
    }

    func start() {
        let first: Bool = lock.withLock {
            defer { started = true }
            return !started
        }
        guard first else { return }
        let thread = Thread { [self] in
            run()
            threadDone.stop()
        }
        thread.name = "mqtt-\(options.clientID)"
        thread.start()
    }

    func stop(timeout: Double = 10) {
        let wasStarted: Bool = lock.withLock { started }
        stopFlag.stop()
        if wasStarted { threadDone.wait(seconds: timeout) }
    }

    // MARK: Network thread

    private func run() {
        guard let mosq else { return }
        var backoff = Backoff(initial: options.reconnectDelayMin, maximum: options.reconnectDelayMax)
        let keepalive = Int32(max(5, options.keepalive.rounded(.up)))
        var firstAttempt = true
        while !stopFlag.isStopped {
            if clientLock.withLock({ purgeBeforeReconnect }) {
                guard purgeClient(mosq) else { stopFlag.wait(seconds: backoff.next()); continue }
                firstAttempt = true
            }
            lock.withLock { everConnectedThisAttempt = false; attemptErrors.removeAll() }
            let rc = firstAttempt
                ? mosquitto_connect(mosq, options.host, Int32(options.port), keepalive)
                : mosquitto_reconnect(mosq)
            firstAttempt = false
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                let reason = failureReason(rc)
                log.warning("cannot connect, retrying", ["error": reason])
                handler(.connectFailed(reason: reason))
                stopFlag.wait(seconds: backoff.next())
                continue
            }
            var loopRC = MOSQ_ERR_SUCCESS.rawValue
            while !stopFlag.isStopped && loopRC == MOSQ_ERR_SUCCESS.rawValue {
                // Short timeout: stop() is noticed within it. Publishes from other threads
                // wake the loop through libmosquitto's socket pair.
                loopRC = mosquitto_loop(mosq, 100, 1)
                let late = abandonCommands(dueBy: MonotonicClock.nowNanoseconds())
                if !late.isEmpty {
                    fail(late, qos1: "no PUBACK before the deadline", qos0: "not written to the socket before the deadline")
                    // The broker is not answering: start afresh rather than let libmosquitto
                    // deliver the abandoned command late.
                    log.warning("dropping the connection: a command got no answer in time")
                    mosquitto_disconnect(mosq)
                    loopRC = MOSQ_ERR_CONN_LOST.rawValue
                }
            }
            if stopFlag.isStopped {
                closeCleanly(mosq)
                break
            }
            let hadSession = lock.withLock { everConnectedThisAttempt }
            markDisconnected(reason: hadSession ? ConnectionCore.describe(loopRC) : failureReason(loopRC),
                             failedBeforeConnack: !hadSession)
            if hadSession { backoff.reset() }
            stopFlag.wait(seconds: backoff.next())
        }
    }

    /// Sends DISCONNECT and lets the loop flush it, so the broker does not wait for keepalive.
    private func closeCleanly(_ mosq: OpaquePointer) {
        fail(abandonCommands(), qos1: "stopping before PUBACK", qos0: "stopping before it was written")
        let wasConnected = isConnected
        if mosquitto_disconnect(mosq) == MOSQ_ERR_SUCCESS.rawValue {
            for _ in 0..<20 where mosquitto_loop(mosq, 50, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        }
        if wasConnected { markDisconnected(reason: "stopped", failedBeforeConnack: false) }
        log.info("mqtt stopped")
    }

    /// Reports the end of a connection once, whichever path noticed it first.
    private func markDisconnected(reason: String, failedBeforeConnack: Bool) {
        let (wasConnected, abandoned): (Bool, [PendingCommand]) = clientLock.withLock {
            let was: Bool = lock.withLock {
                defer { connected = false; pendingSubscriptions.removeAll() }
                return connected
            }
            let taken = commands.sorted { $0.key < $1.key }.map(\.value)
            commands.removeAll()
            if !taken.isEmpty { purgeBeforeReconnect = true }
            return (was, taken)
        }
        fail(abandoned, qos1: "connection lost before PUBACK (\(reason))", qos0: "connection lost before it was known to be written (\(reason))")
        if wasConnected {
            if stopFlag.isStopped {
                log.info("disconnected", ["reason": reason])
            } else {
                log.warning("disconnected", ["reason": reason])
            }
            handler(.disconnected(reason: reason))
        } else if failedBeforeConnack {
            log.warning("connection failed, retrying", ["error": reason])
            handler(.connectFailed(reason: reason))
        }
    }

    /// libmosquitto's return codes only say "A TLS error occurred." or "The connection was
    /// refused."; the why (certificate verify failed, host name verification failed, not
    /// authorised) comes through its log callback and CONNACK. A failed attempt's reason
    /// carries both, so whoever reads the log can tell a wrong CA from a wrong password.
    private func failureReason(_ rc: Int32) -> String {
        let base = ConnectionCore.describe(rc)  // first: it may read errno
        let details = lock.withLock { attemptErrors }
        return details.isEmpty ? base : "\(base) (\(details.joined(separator: "; ")))"
    }

    fileprivate func noteAttemptError(_ text: String) {
        lock.withLock {
            // A handful is enough: OpenSSL may queue several lines for one failure.
            if attemptErrors.count < 4 && !attemptErrors.contains(text) { attemptErrors.append(text) }
        }
    }

    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }

    // MARK: libmosquitto callbacks (network thread)

    fileprivate func didConnect(rc: Int32) {
        guard rc == 0 else {
            // Refused (bad credentials, ...): libmosquitto then fails the loop, and run()
            // reports connectFailed and backs off.
            let refusal = String(cString: mosquitto_connack_string(rc))
            log.error("broker refused the connection", ["reason": refusal])
            noteAttemptError(refusal)
            return
        }
        let filters: [(filter: String, qos: Int)] = lock.withLock {
            connected = true
            everConnectedThisAttempt = true
            pendingSubscriptions.removeAll()
            return subscriptions
        }
        log.info("connected", ["subscriptions": filters.count])
        var mids: Set<Int32> = []
        if let mosq {
            for (filter, qos) in filters {
                var mid: Int32 = 0
                let rc = mosquitto_subscribe(mosq, &mid, filter, Int32(qos))
                if rc == MOSQ_ERR_SUCCESS.rawValue {
                    mids.insert(mid)
                } else {
                    log.warning("subscribe failed", ["topic": filter, "error": String(cString: mosquitto_strerror(rc))])
                }
            }
        }
        lock.withLock { pendingSubscriptions = mids }
        handler(.connected)
        if mids.isEmpty { handler(.subscribed) }
    }

    fileprivate func didPublish(mid: Int32) {
        guard let command = clientLock.withLock({ commands.removeValue(forKey: mid) }) else { return }
        command.completion(.published(command.qos == 1 ? "PUBACK received" : "written to the socket"))
    }

    fileprivate func didDisconnect(rc: Int32) {
        markDisconnected(reason: rc == 0 ? "closed" : ConnectionCore.describe(rc), failedBeforeConnack: false)
    }

    fileprivate func didSubscribe(mid: Int32, granted: [Int32]) {
        if granted.contains(where: { $0 >= 0x80 }) {
            log.error("broker rejected a subscription (not authorised?)", ["mid": mid])
        }
        let allDone: Bool = lock.withLock {
            guard pendingSubscriptions.remove(mid) != nil else { return false }
            return pendingSubscriptions.isEmpty
        }
        if allDone {
            log.info("subscribed")
            handler(.subscribed)
        }
    }

    fileprivate func didReceive(_ message: mosquitto_message) {
        let topic = message.topic.map { String(cString: $0) } ?? ""
        let length = Int(message.payloadlen)
        // Checked before copying or parsing: a huge payload costs us nothing but this line.
        guard length <= options.maxPayloadBytes else {
            lock.withLock { dropped += 1 }
            log.warning("message too large, ignored", ["topic": topic, "bytes": length, "limit": options.maxPayloadBytes])
            return
        }
        let payload: [UInt8] = length > 0 && message.payload != nil
            ? Array(UnsafeRawBufferPointer(start: message.payload, count: length))
            : []
        handler(.message(MQTTMessage(topic: topic, payload: payload, qos: Int(message.qos), retain: message.retain)))
    }
}
