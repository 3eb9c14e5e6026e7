import FaceEngine
import Foundation

/// A video file decoded as the capture decodes it (`filesrc ! decodebin`), by gst-launch-1.0:
/// the size and rate GStreamer negotiated, how many frames it delivered, and the frames asked for.
public struct DecodedVideo: Sendable {
    public let width: Int
    public let height: Int
    public let framesPerSecond: Double
    public let frameCount: Int
    /// RGB24 frames by index, only those `keep` chose (a whole 720p video would be hundreds of MB).
    public let frames: [Int: Image]

    public static func decode(_ url: URL, keep: (Int) -> Bool = { _ in false }) throws -> DecodedVideo {
        let head = ["filesrc", "location=\(url.path)", "!", "decodebin", "!", "videoconvert", "!"]
        // First pass: what the decoder negotiated, as GStreamer reports it (-v prints caps).
        let probe = try GstLaunchProcess(arguments: ["-v"] + head + ["capsfilter", "name=fg_rgb", "caps=video/x-raw,format=RGB", "!", "fakesink"])
        let (probeStatus, probeText) = probe.finish()
        guard probeStatus == 0 else { throw PhotoMotionVideoError.decoder("\(url.path): gst-launch-1.0 exit \(probeStatus):\n\(probeText)") }
        guard let caps = probeText.split(separator: "\n").last(where: { $0.contains("fg_rgb.GstPad:src: caps = ") }),
              let width = Self.field("width=(int)", in: caps).flatMap({ Int($0) }),
              let height = Self.field("height=(int)", in: caps).flatMap({ Int($0) }),
              let rate = Self.field("framerate=(fraction)", in: caps) else {
            throw PhotoMotionVideoError.decoder("\(url.path): no RGB video caps in gst-launch-1.0 -v output:\n\(probeText)")
        }
        let parts = rate.split(separator: "/").compactMap { Double($0) }
        guard parts.count == 2, parts[1] > 0 else { throw PhotoMotionVideoError.decoder("\(url.path): framerate '\(rate)'") }

        // Second pass: the pixels, streamed through a pipe, rows padded to 4 bytes as GStreamer lays them out.
        let stride = (width * 3 + 3) & ~3
        let decoder = try GstLaunchProcess(arguments: ["-q"] + head + ["video/x-raw,format=RGB", "!", "fdsink", "fd=1"], stdout: true)
        var frames: [Int: Image] = [:]
        var count = 0
        var buffer = [UInt8](repeating: 0, count: stride * height)
        var partial = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { decoder.read(into: $0) }
            if n < buffer.count { partial = n; break }
            if keep(count) { frames[count] = Image(format: .rgb24, width: width, height: height, stride: stride, bytes: buffer) }
            count += 1
        }
        let (status, text) = decoder.finish()
        guard status == 0 else { throw PhotoMotionVideoError.decoder("\(url.path): gst-launch-1.0 exit \(status):\n\(text)") }
        guard partial == 0 else { throw PhotoMotionVideoError.decoder("\(url.path): stream ended \(partial) bytes into frame \(count)") }
        return DecodedVideo(width: width, height: height, framesPerSecond: parts[0] / parts[1], frameCount: count, frames: frames)
    }

    /// The value after `key` up to the next comma in a caps string.
    static func field(_ key: String, in caps: Substring) -> String? {
        guard let range = caps.range(of: key) else { return nil }
        let rest = caps[range.upperBound...]
        return String(rest.prefix { $0 != "," && $0 != " " })
    }
}
