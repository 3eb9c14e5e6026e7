import CGStreamer
import Foundation
import ProcessSupport
import Vocabulary

/// One built GStreamer pipeline, driven entirely from the thread that owns it: it pulls samples
/// from the appsink and polls the bus itself, so no GLib main loop and no signal callbacks.
/// A `CaptureSession` builds a fresh one for every (re)start and throws the old one away.
///
/// ## Capture time
/// Every GStreamer buffer carries a PTS; the segment turns it into running time, and the
/// element's base time is the pipeline clock's reading at running time 0. So
/// `base_time + running_time(PTS)` is the instant on the pipeline clock that the frame stands
/// for. The pipeline is given GStreamer's system clock, which reads CLOCK_MONOTONIC (checked
/// at build; if someone switched it to another clock type the measured offset is applied), so
/// the sum is directly a CLOCK_MONOTONIC time that every process on the host shares.
///
/// What that instant is, per source, and how far from the true moment of capture it can be:
/// - `test://` (live videotestsrc): the instant the frame was generated; exact.
/// - `v4l2://`: v4l2src converts the driver's buffer timestamp (taken at capture, on
///   CLOCK_MONOTONIC with current drivers) to the pipeline clock; off by at most the
///   exposure/readout time of one frame.
/// - `rtsp://`: the rtpjitterbuffer stamps each frame with the arrival time of its packets on
///   this host (skew-smoothed against the sender's RTP clock). The camera's own sensor-to-network
///   latency (encoder + send, typically tens to a few hundred ms) happens before that and cannot
///   be seen without camera NTP sync, so the stamp is *later* than the exposure by that latency,
///   never earlier. Measured on loopback (640x360 H.264, TCP and UDP): delivery 1 ms median,
///   under 10 ms max after the stamp; H.265 3.5 ms median.
/// - `file://` and `image://` (played with `sync=true`): the instant the frame became current
///   in real-time playback, i.e. when the appsink released it; exact by definition.
///
/// In every case the stamp is never after the moment the frame is handed to the consumer (it
/// is taken upstream of the appsink, on the same clock); the gap between the two is the
/// conversion and scheduling delay: measured 0.3 ms median (10 ms max) for the clip, photos
/// and the test source, about 1 ms over RTSP, on this 2-core machine. A loaded machine adds its
/// scheduling delay to delivery, not to the stamp. Frames whose buffer has no usable PTS (rare
/// broken streams) are stamped with the clock reading when pulled, an upper bound, and counted.
///
/// The wall-clock stamp is derived at delivery (wall now - (monotonic now - capture)); it
/// inherits the monotonic stamp's error plus any wall-clock step in between.
final class CapturePipeline {
    enum BusEvent {
        case playing
        case endOfStream
        case error(String)
        case warning(String)
    }

    /// A frame as pulled, before the session numbers it.
    struct PulledFrame {
        let captureMonotonicNs: UInt64
        let hasPipelineTimestamp: Bool
        let width: Int
        let height: Int
        let stride: Int
        let pixels: [UInt8]
    }

    let description: PipelineDescription
    let decoded = FrameTally()
    let admitted: FrameTally
    let delivered = FrameTally()
    /// Pulled but dropped by the session's fractional rate gate.
    let gated = FrameTally()
    /// Added to pipeline-clock times to get CLOCK_MONOTONIC; 0 with GStreamer's default system clock.
    let clockOffsetNs: Int64

    private let pixelFormat: PixelFormat
    private let pipeline: UnsafeMutablePointer<GstElement>
    private let appsink: UnsafeMutablePointer<GstElement>
    private let bus: UnsafeMutablePointer<GstBus>
    private var cachedCaps: UnsafeMutablePointer<GstCaps>?
    private var videoInfo = GstVideoInfo()
    private var isTornDown = false

    init(description: PipelineDescription, pixelFormat: PixelFormat) throws(CaptureError) {
        if let problem = GStreamerRuntime.initializationError { throw .gstreamerUnavailable(problem) }
        self.description = description
        self.pixelFormat = pixelFormat

        var parseError: UnsafeMutablePointer<GError>?
        let parsed = gst_parse_launch(description.launch, &parseError)
        if let parseError {
            let message = String(cString: parseError.pointee.message)
            g_error_free(parseError)
            if let parsed { gst_object_unref(UnsafeMutableRawPointer(parsed)) }
            throw .pipelineBuild(message)
        }
        guard let parsed else { throw .pipelineBuild("gst_parse_launch returned nothing") }
        gst_object_ref_sink(UnsafeMutableRawPointer(parsed))
        pipeline = parsed

        func element(_ name: String) -> UnsafeMutablePointer<GstElement>? {
            gst_bin_get_by_name(fg_as_bin(parsed), name)
        }
        guard let sink = element(PipelineDescription.sinkName) else {
            gst_object_unref(UnsafeMutableRawPointer(parsed))
            throw .pipelineBuild("no appsink in pipeline")
        }
        appsink = sink
        bus = gst_element_get_bus(parsed)

        for property in description.stringProperties {
            guard let target = element(property.element) else { continue }
            fg_set_string(UnsafeMutableRawPointer(target), property.name, property.value)
            gst_object_unref(UnsafeMutableRawPointer(target))
        }

        if let counted = element(description.decodedCountElement) {
            _ = decoded.attach(toSinkPadOf: counted)
            gst_object_unref(UnsafeMutableRawPointer(counted))
        }
        if description.admittedCountElement == description.decodedCountElement {
            admitted = decoded
        } else {
            admitted = FrameTally()
            if let counted = element(description.admittedCountElement) {
                _ = admitted.attach(toSinkPadOf: counted)
                gst_object_unref(UnsafeMutableRawPointer(counted))
            }
        }

        // Our own choice of clock, so that no element (an audio sink, say) can substitute one
        // whose times are not CLOCK_MONOTONIC.
        let clock = gst_system_clock_obtain()!
        gst_pipeline_use_clock(fg_as_pipeline(parsed), clock)
        if fg_system_clock_type(clock) == Int32(GST_CLOCK_TYPE_MONOTONIC.rawValue) {
            clockOffsetNs = 0
        } else {
            clockOffsetNs = Int64(bitPattern: MonotonicClock.nowNanoseconds()) - Int64(bitPattern: UInt64(gst_clock_get_time(clock)))
        }
        gst_object_unref(UnsafeMutableRawPointer(clock))
    }

    deinit {
        tearDown()
        if let cachedCaps { gst_mini_object_unref(UnsafeMutableRawPointer(cachedCaps).assumingMemoryBound(to: GstMiniObject.self)) }
        gst_object_unref(UnsafeMutableRawPointer(bus))
        gst_object_unref(UnsafeMutableRawPointer(appsink))
        gst_object_unref(UnsafeMutableRawPointer(pipeline))
    }

    func start() throws(CaptureError) {
        if gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE {
            let reason = pollBus().compactMap { event -> String? in
                if case let .error(text) = event { return text }
                return nil
            }.first
            throw .pipelineStart(reason ?? "state change to PLAYING failed")
        }
    }

    /// Stops all streaming threads. Safe to call more than once.
    func tearDown() {
        guard !isTornDown else { return }
        isTornDown = true
        gst_element_set_state(pipeline, GST_STATE_NULL)
    }

    var isAtEndOfStream: Bool { gst_app_sink_is_eos(fg_as_app_sink(appsink)) != 0 }

    /// Waits up to `timeoutNs` for the newest frame.
    func pull(timeoutNs: UInt64) -> PulledFrame? {
        guard let sample = gst_app_sink_try_pull_sample(fg_as_app_sink(appsink), GstClockTime(timeoutNs)) else { return nil }
        defer { gst_sample_unref(sample) }
        let pulledAt = MonotonicClock.nowNanoseconds()
        guard let buffer = gst_sample_get_buffer(sample), let caps = gst_sample_get_caps(sample) else { return nil }
        if caps != cachedCaps {
            guard gst_video_info_from_caps(&videoInfo, caps) != 0 else { return nil }
            if let cachedCaps { gst_mini_object_unref(UnsafeMutableRawPointer(cachedCaps).assumingMemoryBound(to: GstMiniObject.self)) }
            gst_mini_object_ref(UnsafeMutableRawPointer(caps).assumingMemoryBound(to: GstMiniObject.self))
            cachedCaps = caps
        }

        // GST_CLOCK_TIME_NONE is ((GstClockTime) -1), which Swift does not import: GstClockTime.max.
        var captureNs = pulledAt
        var timed = false
        let pts = buffer.pointee.pts
        if pts != GstClockTime.max, let segment = gst_sample_get_segment(sample) {
            let running = gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts)
            let base = gst_element_get_base_time(pipeline)
            if running != GstClockTime.max, base != GstClockTime.max {
                captureNs = UInt64(Int64(bitPattern: UInt64(base) &+ UInt64(running)) &+ clockOffsetNs)
                timed = true
            }
        }

        let width = Int(videoInfo.width)
        let height = Int(videoInfo.height)
        let stride = Int(videoInfo.stride.0)
        let offset = Int(videoInfo.offset.0)
        let byteCount = stride * height
        guard width > 0, height > 0, stride >= width * pixelFormat.bytesPerPixel else { return nil }

        var map = GstMapInfo()
        guard gst_buffer_map(buffer, &map, GST_MAP_READ) != 0 else { return nil }
        defer { gst_buffer_unmap(buffer, &map) }
        guard let data = map.data, Int(map.size) >= offset + byteCount else { return nil }
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { out, count in
            out.baseAddress!.update(from: data + offset, count: byteCount)
            count = byteCount
        }
        return PulledFrame(captureMonotonicNs: captureNs, hasPipelineTimestamp: timed,
                           width: width, height: height, stride: stride, pixels: pixels)
    }

    /// Loops a file: back to the start without rebuilding. A flushing seek resets running time,
    /// and the pipeline takes a new base time, so capture times keep increasing.
    func seekToStart() -> Bool {
        gst_element_seek_simple(pipeline, GST_FORMAT_TIME,
                                GstSeekFlags(rawValue: GST_SEEK_FLAG_FLUSH.rawValue | GST_SEEK_FLAG_KEY_UNIT.rawValue), 0) != 0
    }

    /// Everything the bus holds now; never blocks.
    func pollBus() -> [BusEvent] {
        let wanted = GstMessageType(rawValue: GST_MESSAGE_ERROR.rawValue | GST_MESSAGE_EOS.rawValue | GST_MESSAGE_WARNING.rawValue
            | GST_MESSAGE_STATE_CHANGED.rawValue | GST_MESSAGE_LATENCY.rawValue)
        var events: [BusEvent] = []
        while let message = gst_bus_pop_filtered(bus, wanted) {
            defer { gst_mini_object_unref(UnsafeMutableRawPointer(message).assumingMemoryBound(to: GstMiniObject.self)) }
            let source = String(cString: fg_message_source_name(message))
            switch message.pointee.type {
            case GST_MESSAGE_ERROR, GST_MESSAGE_WARNING:
                var error: UnsafeMutablePointer<GError>?
                var debug: UnsafeMutablePointer<gchar>?
                if message.pointee.type == GST_MESSAGE_ERROR {
                    gst_message_parse_error(message, &error, &debug)
                } else {
                    gst_message_parse_warning(message, &error, &debug)
                }
                let text = error.map { String(cString: $0.pointee.message) } ?? "unknown"
                let detail = debug.map { String(cString: $0) }.map { " (\($0.prefix(300)))" } ?? ""
                if let error { g_error_free(error) }
                g_free(debug)
                let line = "\(source): \(text)\(detail)"
                events.append(message.pointee.type == GST_MESSAGE_ERROR ? .error(line) : .warning(line))
            case GST_MESSAGE_EOS:
                events.append(.endOfStream)
            case GST_MESSAGE_STATE_CHANGED:
                guard UnsafeMutableRawPointer(message.pointee.src) == UnsafeMutableRawPointer(pipeline) else { break }
                var old = GST_STATE_VOID_PENDING, new = GST_STATE_VOID_PENDING, pending = GST_STATE_VOID_PENDING
                gst_message_parse_state_changed(message, &old, &new, &pending)
                if new == GST_STATE_PLAYING { events.append(.playing) }
            case GST_MESSAGE_LATENCY:
                gst_bin_recalculate_latency(fg_as_bin(pipeline))
            default:
                break
            }
        }
        return events
    }
}

public enum CaptureError: Error, Equatable, CustomStringConvertible {
    case gstreamerUnavailable(String)
    case pipelineBuild(String)
    case pipelineStart(String)

    public var description: String {
        switch self {
        case let .gstreamerUnavailable(why): "GStreamer could not be initialised: \(why)"
        case let .pipelineBuild(why): "capture pipeline could not be built: \(why)"
        case let .pipelineStart(why): "capture pipeline did not start: \(why)"
        }
    }
}
