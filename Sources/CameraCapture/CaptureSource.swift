import Foundation

/// Where a camera's pictures come from, parsed from the one source URI a camera is configured with.
///
/// | URI | source |
/// |---|---|
/// | `rtsp://[user:pass@]host[:port]/path[#transport=tcp\|udp&latency=MS]` | network camera (rtspsrc); H.264/H.265/MJPEG |
/// | `v4l2:///dev/videoN[?width=W&height=H&fps=F]` | local camera (v4l2src), raw or MJPEG |
/// | `file:///abs/path.mp4[?loop=true]` | any container decodebin handles, played in real time |
/// | `image:///abs/photo.jpg[?seconds=S&fps=F]` | one photo shown as video for S seconds (forever without S) |
/// | `test://[pattern][?width=W&height=H&fps=F]` (or `test:`) | videotestsrc as a live camera |
///
/// RTSP options sit in the fragment because the query belongs to the camera's own URL; the
/// fragment is never sent to the camera. The other schemes are ours, so their options are the query.
public enum CaptureSource: Equatable, Sendable {
    public enum RTSPTransport: String, Sendable, CaseIterable {
        /// `auto` lets rtspsrc try UDP first and fall back to TCP.
        case tcp, udp, auto

        var gstProtocols: String {
            switch self {
            case .tcp: "tcp"
            case .udp: "udp"
            case .auto: "udp+udp-mcast+tcp"
            }
        }
    }

    case rtsp(url: String, transport: RTSPTransport, latencyMs: Int)
    case v4l2(device: String, width: Int?, height: Int?, fps: Int?)
    case file(path: String, loop: Bool)
    case image(path: String, seconds: Double?, fps: Int)
    case test(pattern: String, width: Int, height: Int, fps: Int)

    public static let defaultRTSPLatencyMs = 200
    public static let testPatterns: Set<String> = [
        "smpte", "snow", "black", "white", "red", "green", "blue", "checkers-1", "checkers-2",
        "checkers-4", "checkers-8", "circular", "blink", "smpte75", "zone-plate", "gamut",
        "chroma-zone-plate", "solid-color", "ball", "smpte100", "bar", "pinwheel", "spokes",
        "gradient", "colors", "smpte-rp-219",
    ]

    /// Live sources produce frames at their own pace, stamped when captured; the others are
    /// played back against the pipeline clock so that their stamps are real-time too.
    public var isLive: Bool {
        switch self {
        case .rtsp, .v4l2, .test: true
        case .file, .image: false
        }
    }

    public init(uri: String) throws(CaptureSourceError) {
        var uri = uri
        if uri.lowercased().hasPrefix("test:") && !uri.lowercased().hasPrefix("test://") {
            uri = "test://" + uri.dropFirst("test:".count)
        }
        guard let schemeEnd = uri.range(of: "://") else { throw .invalidURI(uri, "expected scheme://...") }
        let scheme = uri[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "rtsp", "rtsps", "rtspt":
            var url = uri
            var options = OptionReader(scheme: scheme, pairs: [])
            if let hash = uri.firstIndex(of: "#") {
                url = String(uri[..<hash])
                options = OptionReader(scheme: scheme, pairs: CaptureSource.splitOptions(String(uri[uri.index(after: hash)...])))
            }
            guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
                throw .invalidURI(CaptureSource.redact(uri), "an RTSP URL needs a host")
            }
            let transport: RTSPTransport = try options.choice("transport", default: .tcp)
            let latency = try options.integer("latency", default: CaptureSource.defaultRTSPLatencyMs, range: 0...10_000)
            try options.rejectUnknown()
            self = .rtsp(url: url, transport: transport, latencyMs: latency)
        case "v4l2", "file", "image", "test":
            guard let components = URLComponents(string: uri) else {
                throw .invalidURI(uri, "not a valid URI (percent-encode special characters)")
            }
            if components.fragment != nil {
                throw .invalidURI(uri, "'#' starts a fragment, which \(scheme):// does not take (write %23 for a '#' in a path)")
            }
            var options = OptionReader(scheme: scheme, pairs: (components.queryItems ?? []).map { ($0.name, $0.value) })
            let host = components.host ?? ""
            if scheme == "test" {
                let pattern = host.isEmpty ? try options.string("pattern", default: "smpte") : host
                guard CaptureSource.testPatterns.contains(pattern) else {
                    throw .badOption(scheme: scheme, name: "pattern", value: pattern,
                                     expected: CaptureSource.testPatterns.sorted().joined(separator: ", "))
                }
                let width = try options.integer("width", default: 640, range: 16...7680)
                let height = try options.integer("height", default: 480, range: 16...4320)
                let fps = try options.integer("fps", default: 30, range: 1...240)
                try options.rejectUnknown()
                self = .test(pattern: pattern, width: width, height: height, fps: fps)
                return
            }
            guard host.isEmpty || host == "localhost" else {
                throw .invalidURI(uri, "\(scheme):// takes an absolute path (\(scheme):///path), not host '\(host)'")
            }
            let path = components.path
            guard path.hasPrefix("/"), path.count > 1 else { throw .invalidURI(uri, "\(scheme):// needs an absolute path") }
            switch scheme {
            case "v4l2":
                let width = try options.optionalInteger("width", range: 16...7680)
                let height = try options.optionalInteger("height", range: 16...4320)
                let fps = try options.optionalInteger("fps", range: 1...240)
                try options.rejectUnknown()
                self = .v4l2(device: path, width: width, height: height, fps: fps)
            case "file":
                let loop = try options.boolean("loop", default: false)
                try options.rejectUnknown()
                self = .file(path: path, loop: loop)
            default:
                let seconds = try options.optionalDouble("seconds", range: 0.001...1_000_000)
                let fps = try options.integer("fps", default: 10, range: 1...240)
                try options.rejectUnknown()
                self = .image(path: path, seconds: seconds, fps: fps)
            }
        default:
            throw .unsupportedScheme(scheme)
        }
    }

    /// The URI with any password replaced, for log lines.
    public var logDescription: String {
        switch self {
        case let .rtsp(url, transport, latency): "\(CaptureSource.redact(url))#transport=\(transport.rawValue)&latency=\(latency)"
        case let .v4l2(device, _, _, _): "v4l2://\(device)"
        case let .file(path, loop): "file://\(path)\(loop ? "?loop=true" : "")"
        case let .image(path, seconds, fps): "image://\(path)?fps=\(fps)" + (seconds.map { "&seconds=\($0)" } ?? "")
        case let .test(pattern, width, height, fps): "test://\(pattern)?width=\(width)&height=\(height)&fps=\(fps)"
        }
    }

    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    static func splitOptions(_ text: String) -> [(String, String?)] {
        text.split(separator: "&").map { item in
            if let eq = item.firstIndex(of: "=") {
                return (String(item[..<eq]), String(item[item.index(after: eq)...]))
            }
            return (String(item), nil)
        }
    }
}

public enum CaptureSourceError: Error, Equatable, CustomStringConvertible {
    case invalidURI(String, String)
    case unsupportedScheme(String)
    case unknownOption(scheme: String, name: String)
    case badOption(scheme: String, name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .invalidURI(uri, why): "camera source '\(uri)': \(why)"
        case let .unsupportedScheme(scheme): "camera source scheme '\(scheme)://' is not supported (rtsp, v4l2, file, image, test)"
        case let .unknownOption(scheme, name): "camera source option '\(name)' is not known for \(scheme)://"
        case let .badOption(scheme, name, value, expected): "camera source option \(name)='\(value)' for \(scheme):// is invalid: expected \(expected)"
        }
    }
}

/// Reads `name=value` options once each, so that anything left over is an unknown option.
private struct OptionReader {
    let scheme: String
    var remaining: [(String, String?)]

    init(scheme: String, pairs: [(String, String?)]) {
        self.scheme = scheme
        remaining = pairs
    }

    private mutating func take(_ name: String) -> String?? {
        guard let index = remaining.firstIndex(where: { $0.0 == name }) else { return nil }
        return remaining.remove(at: index).1
    }

    mutating func string(_ name: String, default value: String) throws(CaptureSourceError) -> String {
        guard let found = take(name) else { return value }
        guard let found, !found.isEmpty else { throw .badOption(scheme: scheme, name: name, value: "", expected: "a value") }
        return found
    }

    mutating func optionalInteger(_ name: String, range: ClosedRange<Int>) throws(CaptureSourceError) -> Int? {
        guard let found = take(name) else { return nil }
        guard let text = found, let number = Int(text), range.contains(number) else {
            throw .badOption(scheme: scheme, name: name, value: found ?? "", expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    mutating func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws(CaptureSourceError) -> Int {
        try optionalInteger(name, range: range) ?? value
    }

    mutating func optionalDouble(_ name: String, range: ClosedRange<Double>) throws(CaptureSourceError) -> Double? {
        guard let found = take(name) else { return nil }
        guard let text = found, let number = Double(text), range.contains(number) else {
            throw .badOption(scheme: scheme, name: name, value: found ?? "", expected: "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    mutating func boolean(_ name: String, default value: Bool) throws(CaptureSourceError) -> Bool {
        guard let found = take(name) else { return value }
        switch found?.lowercased() {
        case nil, "", "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw .badOption(scheme: scheme, name: name, value: found ?? "", expected: "true or false")
        }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, default value: T) throws(CaptureSourceError) -> T
        where T.RawValue == String {
        guard let found = take(name) else { return value }
        guard let text = found?.lowercased(), let chosen = T(rawValue: text) else {
            throw .badOption(scheme: scheme, name: name, value: found ?? "",
                             expected: T.allCases.map(\.rawValue).joined(separator: " or "))
        }
        return chosen
    }

    func rejectUnknown() throws(CaptureSourceError) {
        if let first = remaining.first { throw .unknownOption(scheme: scheme, name: first.0) }
    }
}
