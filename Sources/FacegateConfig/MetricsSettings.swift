/// `[metrics]`: where each process serves Prometheus metrics. Off unless an address is given.
///
/// The endpoints answer anyone who can reach them, without a login, and say which locks are
/// being decided on and when: loopback only unless `allow_remote = true` says otherwise.
public struct MetricsSettings: Equatable, Sendable {
    /// facegate-broker's address; nil: the broker serves no metrics.
    public var broker: ListenAddress?
    /// The first camera's capture process listens here, each next camera (in the order of
    /// `[[cameras]]`) one port higher; nil: only captures given `--metrics-listen` serve.
    public var cameras: ListenAddress?
    /// Recognizer `N` (a numeric `--name`, as under `facegate-recognizer@N`) listens N ports
    /// above this; other names need `--metrics-listen`.
    public var recognizers: ListenAddress?
    /// Let an address outside 127.0.0.0/8 through (behind a firewall you trust).
    public var allowRemote: Bool

    public init(broker: ListenAddress? = nil, cameras: ListenAddress? = nil, recognizers: ListenAddress? = nil,
                allowRemote: Bool = false) {
        self.broker = broker
        self.cameras = cameras
        self.recognizers = recognizers
        self.allowRemote = allowRemote
    }

    /// The capture process of camera number `index` (0-based, in `[[cameras]]` order).
    public func camera(index: Int) -> ListenAddress? { cameras?.advanced(by: index) }

    /// Recognizer `name`'s address: the base advanced by its number; nil for other names.
    public func recognizer(name: String) -> ListenAddress? {
        guard let number = Int(name), number >= 0 else { return nil }
        return recognizers?.advanced(by: number)
    }

    /// An address given on a command line (`--metrics-listen`), held to the same rule as the file.
    public func check(_ address: ListenAddress) -> String? {
        allowRemote || address.isLoopback ? nil
            : "\(address) is not a loopback address (127.0.0.0/8): metrics are served without a login; set [metrics] allow_remote = true to serve them beyond this machine"
    }

    init(_ reader: TableReader) {
        allowRemote = reader.bool("allow_remote", default: false)
        func address(_ key: String) -> ListenAddress? {
            guard let text = reader.string(key) else { return nil }
            let parsed: ListenAddress
            do { parsed = try ListenAddress(parsing: text) } catch { reader.problem(key, error.description); return nil }
            if !allowRemote && !parsed.isLoopback {
                reader.problem(key, "\(parsed) is not a loopback address (127.0.0.0/8); metrics have no login: set allow_remote = true to serve them beyond this machine")
                return nil
            }
            return parsed
        }
        broker = address("broker")
        cameras = address("cameras")
        recognizers = address("recognizers")
        reader.finish()
    }
}
