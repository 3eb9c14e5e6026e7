import Foundation

/// The GStreamer pipeline for one source and settings: a `gst_parse_launch` string plus the
/// string properties (paths, URLs) that are set on named elements afterwards, so that no
/// user-supplied text is ever spliced into the launch syntax.
///
/// Shape, live sources (rtsp, v4l2, test):
///
///     source ! [decodebin] ! [videorate drop-only] ! queue leaky=downstream max-size-buffers=1
///            ! videoconvertscale ! caps(format, square pixels, width<=max) ! appsink max-buffers=1 drop=true sync=false
///
/// Shape, file sources: the same without the leaky queue and with `sync=true`, so the file plays
/// in real time and nothing is lost to a decoder that runs ahead. Image sources convert once
/// and then `imagefreeze` repeats the converted picture at the requested rate.
///
/// Why this shape (measured on GStreamer 1.22, 640x480 live test source, 30 -> 5 fps):
/// - `videorate drop-only=true max-rate=N` forwards each frame it keeps at once and keeps its
///   original timestamp (frame age at the appsink 0.27 ms median, the same as without videorate),
///   and it drops before conversion, so dropped frames cost no color conversion.
/// - The leaky queue lets the decoder thread never wait for conversion: if conversion falls
///   behind, the older decoded frame is dropped instead of making the jitter buffer hold packets.
/// - appsink `max-buffers=1 drop=true`: a slow consumer gets the newest frame, never a backlog.
struct PipelineDescription: Equatable {
    static let sinkName = "fg_sink"
    static let sourceName = "src"

    /// Text for `gst_parse_launch`.
    let launch: String
    /// (element name, property, value) set with g_object_set after parsing.
    let stringProperties: [StringProperty]
    /// Element whose sink pad sees every decoded frame (before the rate cap).
    let decodedCountElement: String
    /// Element whose sink pad sees every frame the rate cap let through.
    let admittedCountElement: String

    struct StringProperty: Equatable {
        let element: String
        let name: String
        let value: String
    }

    init(source: CaptureSource, settings: CaptureSettings, hasConvertScale: Bool = GStreamerRuntime.hasVideoConvertScale) {
        let paced = settings.pacing == .realTime || source.isLive
        var head: [String] = []
        var properties: [StringProperty] = []
        // videorate's max-rate is whole frames per second; a fractional cap is finished by the
        // session's own gate on capture times (CaptureSession.RateGate).
        var maxRate = settings.maxFps.map { Int($0.rounded(.up)) }
        var leakyQueue = source.isLive
        var freezeFps: Fraction?
        var freezeFrames: Int?

        switch source {
        case let .rtsp(url, transport, latency):
            // Only the video stream is linked; drop-on-latency keeps the jitter buffer from
            // ever holding more than `latency` of packets.
            head.append("rtspsrc name=\(Self.sourceName) protocols=\(transport.gstProtocols) latency=\(latency) drop-on-latency=true")
            head.append("application/x-rtp,media=video")
            head.append("decodebin")
            properties.append(StringProperty(element: Self.sourceName, name: "location", value: url))
        case let .v4l2(device, width, height, fps):
            head.append("v4l2src name=\(Self.sourceName)")
            var fields = ""
            if let width { fields += ",width=\(width)" }
            if let height { fields += ",height=\(height)" }
            if let fps { fields += ",framerate=\(fps)/1" }
            if !fields.isEmpty { head.append("capsfilter caps=\"video/x-raw\(fields);image/jpeg\(fields)\"") }
            head.append("decodebin")
            properties.append(StringProperty(element: Self.sourceName, name: "device", value: device))
        case let .file(path, _):
            head.append("filesrc name=\(Self.sourceName)")
            head.append("decodebin")
            properties.append(StringProperty(element: Self.sourceName, name: "location", value: path))
        case let .image(path, seconds, fps):
            head.append("filesrc name=\(Self.sourceName)")
            head.append("decodebin")
            let rate = min(Double(fps), settings.maxFps ?? Double(fps))
            freezeFps = Fraction(rate)
            freezeFrames = seconds.map { max(1, Int(($0 * rate).rounded(.up))) }
            maxRate = nil
            leakyQueue = false
            properties.append(StringProperty(element: Self.sourceName, name: "location", value: path))
        case let .test(pattern, width, height, fps):
            head.append("videotestsrc name=\(Self.sourceName) is-live=true pattern=\(pattern)")
            head.append("video/x-raw,width=\(width),height=\(height),framerate=\(fps)/1")
        }

        var caps = "video/x-raw,format=\(settings.pixelFormat.gstFormat),pixel-aspect-ratio=1/1"
        if let maxWidth = settings.maxWidth { caps += ",width=[1,\(maxWidth)]" }
        let convert = hasConvertScale ? ["videoconvertscale name=fg_convert"] : ["videoconvert name=fg_convert", "videoscale"]

        var tail: [String] = []
        var gate: [String] = []
        if let maxRate { gate.append("videorate name=fg_rate drop-only=true max-rate=\(maxRate)") }
        if leakyQueue {
            gate.append("queue name=fg_queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0")
        }
        tail += gate
        tail += convert
        tail.append("capsfilter caps=\"\(caps)\"")
        if let freezeFps {
            let frames = freezeFrames.map { " num-buffers=\($0)" } ?? ""
            tail.append("imagefreeze name=fg_freeze\(frames)")
            tail.append("video/x-raw,framerate=\(freezeFps.numerator)/\(freezeFps.denominator)")
        }
        let sync = paced && !source.isLive
        let drop = paced
        tail.append("appsink name=\(Self.sinkName) max-buffers=1 drop=\(drop) sync=\(sync) enable-last-sample=false")

        launch = (head + tail).joined(separator: " ! ")
        stringProperties = properties
        switch (maxRate != nil, freezeFps != nil) {
        case (_, true):
            decodedCountElement = Self.sinkName
            admittedCountElement = Self.sinkName
        case (true, false):
            decodedCountElement = "fg_rate"
            admittedCountElement = leakyQueue ? "fg_queue" : "fg_convert"
        case (false, false):
            decodedCountElement = leakyQueue ? "fg_queue" : "fg_convert"
            admittedCountElement = decodedCountElement
        }
    }
}

extension CaptureSession {
    /// The pipeline a session builds for `source` and `settings`, as gst-launch-1.0 text with
    /// every property inlined and quoted; `sink` replaces the appsink (e.g. "fakesink sync=false").
    /// For benchmarks against gst-launch-1.0 and for reproducing a camera's pipeline by hand.
    public static func gstLaunchText(source: CaptureSource, settings: CaptureSettings, sink: String? = nil) -> String {
        let description = PipelineDescription(source: source, settings: settings)
        var segments = description.launch.components(separatedBy: " ! ")
        for property in description.stringProperties {
            let escaped = property.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            if let index = segments.firstIndex(where: { $0.contains("name=\(property.element)") }) {
                segments[index] += " \(property.name)=\"\(escaped)\""
            }
        }
        if let sink, !segments.isEmpty { segments[segments.count - 1] = sink }
        return segments.joined(separator: " ! ")
    }
}

/// A frame rate as GStreamer writes it (30000/1001), from a configured number of frames per second.
struct Fraction: Equatable {
    let numerator: Int
    let denominator: Int

    init(_ value: Double) {
        var numerator = Int((value * 1000).rounded())
        var denominator = 1000
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let divisor = max(1, gcd(numerator, denominator))
        numerator /= divisor
        denominator /= divisor
        self.numerator = max(1, numerator)
        self.denominator = denominator
    }
}
