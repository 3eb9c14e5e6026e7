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
public final class MQTTConnection: @unchecked Sendable {
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

    /// Publishes an unlock command at most once. Returns whether it was handed to libmosquitto;
    /// the caller records the lock session as unlocked when this returns true and never calls
    /// it again for that session, whatever happens to the connection afterwards.
    ///
    /// Why QoS 0, not retained, and only while connected: a `{"state":"TOGGLE"}` delivered
    /// twice locks the door again, so an unlock must be delivered at most once; losing one is
    /// recoverable (the person touches the keypad again), repeating one is not.
    /// - QoS 1 is at-least-once: if the connection drops after the PUBLISH left but before the
    ///   PUBACK came back, libmosquitto sends it again (DUP) after reconnecting, and the broker
    ///   and zigbee2mqtt would act on both copies.
    /// - QoS 2 is exactly-once only while both ends keep the session state; with a clean
    ///   session (which we need, so stale occupancy is never replayed to us) a reconnect may
    ///   drop or replay in-flight messages depending on timing, and the broker→zigbee2mqtt hop
    ///   has its own QoS anyway.
    /// - QoS 0 is at-most-once on every hop: libmosquitto keeps no copy, and on reconnect it
    ///   discards packets still queued. Retain is off so a (re)subscribing zigbee2mqtt never
    ///   receives an old command. When not connected nothing is queued: false is returned and
    ///   the broker logic treats the unlock as not sent (and, since lock state starts empty
    ///   after a reconnect, it is never re-published later).
    @discardableResult
    public func publishUnlock(topic: String, payload: String) -> Bool {
        guard core.isConnected else { return false }
        return core.publish(topic: topic, payload: Array(payload.utf8), qos: 0, retain: false)
    }
}

/// Library-wide initialisation, exactly once (mosquitto_lib_init is not thread safe).
private let mosquittoLibrary: Int32 = mosquitto_lib_init()

/// The state shared by the public façade, the network thread and libmosquitto's callbacks.
final class ConnectionCore: @unchecked Sendable {
    let options: MQTTOptions
    let log: Log
    let handler: @Sendable (MQTTEvent) -> Void
    private var mosq: OpaquePointer?

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
        mosquitto_connect_callback_set(mosq) { _, obj, rc in
            ConnectionCore.from(obj)?.didConnect(rc: rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, obj, rc in
            ConnectionCore.from(obj)?.didDisconnect(rc: rc)
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
            let rc = mosquitto_subscribe(mosq, &mid, filter, Int32(qos))
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                log.warning("subscribe failed", ["topic": filter, "error": String(cString: mosquitto_strerror(rc))])
            }
        }
    }

    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) -> Bool {
        guard let mosq, (0...2).contains(qos) else { return false }
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish(mosq, &mid, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
        }
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            log.warning("publish not accepted", ["topic": topic, "error": String(cString: mosquitto_strerror(rc))])
            return false
        }
        return true
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
        let wasConnected = isConnected
        if mosquitto_disconnect(mosq) == MOSQ_ERR_SUCCESS.rawValue {
            for _ in 0..<20 where mosquitto_loop(mosq, 50, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        }
        if wasConnected { markDisconnected(reason: "stopped", failedBeforeConnack: false) }
        log.info("mqtt stopped")
    }

    /// Reports the end of a connection once, whichever path noticed it first.
    private func markDisconnected(reason: String, failedBeforeConnack: Bool) {
        let wasConnected: Bool = lock.withLock {
            defer { connected = false; pendingSubscriptions.removeAll() }
            return connected
        }
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
