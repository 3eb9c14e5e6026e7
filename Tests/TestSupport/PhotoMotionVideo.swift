import FaceEngine
import Foundation
import ProcessSupport

/// A still photo held up in front of a camera and moved about — slid, turned, brought closer
/// and tilted — rendered at test time to an H.264 MP4 that the capture plays through
/// `file://` (decodebin). The attack a planarity check must refuse: however the picture is
/// moved, everything in it stays on one plane.
///
/// Each frame is the photo placed by the homography a pinhole camera sees for the pose the
/// motion script gives at that instant (`PhotoHomography(pose:…)`), sampled bilinearly over a
/// background. Deterministic: the same photo, script and settings give the same frames.
public struct PhotoMotionVideo: Sendable {
    public struct Colour: Sendable, Hashable {
        public var red: UInt8, green: UInt8, blue: UInt8
        public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) { self.red = red; self.green = green; self.blue = blue }
    }

    public enum Background: Sendable, Hashable {
        case solid(Colour)
        /// Squares `cell` pixels wide: a fixed scene for the photo to move against, so motion is
        /// visible to the eye and to the encoder.
        case checkerboard(cell: Int, Colour, Colour)
    }

    public struct Settings: Sendable, Hashable {
        public var width: Int
        public var height: Int
        public var fps: Int
        public var duration: Double
        public var background: Background
        /// In frame widths. 1.0 is a 53° horizontal field of view; the closer a photo is held
        /// (the larger it shows), the more a tilt foreshortens it, as with a real lens.
        public var focalLength: Double

        public init(width: Int = 1280, height: Int = 720, fps: Int = 10, duration: Double = 6,
                    background: Background = .checkerboard(cell: 48, Colour(186, 180, 170), Colour(150, 146, 140)),
                    focalLength: Double = 1.0) {
            self.width = width
            self.height = height
            self.fps = fps
            self.duration = duration
            self.background = background
            self.focalLength = focalLength
        }
    }

    public struct Frame: Sendable, Hashable {
        public let index: Int
        /// Seconds from the start of the video (the frame's presentation time).
        public let time: Double
        public let pose: PhotoPose
        /// Photo pixels → frame pixels, as applied to this frame.
        public let homography: PhotoHomography
    }

    public struct RenderReport: Sendable {
        public let frames: Int
        /// CPU time this process spent drawing frames.
        public let renderCPUSeconds: Double
        /// CPU time gst-launch spent converting, encoding and muxing (user + system).
        public let encodeCPUSeconds: Double
        /// Start to finished file; drawing and encoding overlap through the pipe.
        public let wallSeconds: Double
    }

    public let photo: Image
    /// The part of the photo the script positions and sizes (a member's face), photo pixels.
    public let subjectCentre: SIMD2<Double>
    public let subjectHeight: Double
    public let motion: PhotoMotion
    public let settings: Settings
    public let frames: [Frame]

    /// The photo box-filtered by 2^`level`: sampling at about one texel per frame pixel keeps a
    /// photo shown smaller than its own size from aliasing into a moiré no camera would see.
    private let level: Int
    private let sampled: Image
    private let backgroundBytes: [UInt8]

    /// Bytes per frame row: GStreamer's raw video rows are padded to 4 bytes, and
    /// rawvideoparse expects exactly that layout.
    public var stride: Int { (settings.width * 3 + 3) & ~3 }

    public init(photo: Image, subjectCentre: SIMD2<Double>, subjectHeight: Double, motion: PhotoMotion,
                settings: Settings = Settings()) throws {
        guard photo.format == .rgb24, photo.width >= 2, photo.height >= 2,
              photo.stride >= photo.width * 3, photo.bytes.count >= photo.stride * photo.height else {
            throw PhotoMotionVideoError.badInput("photo must be RGB24 of at least 2x2 pixels with its rows present")
        }
        guard settings.width >= 16, settings.height >= 16, settings.width % 2 == 0, settings.height % 2 == 0 else {
            throw PhotoMotionVideoError.badInput("frame size \(settings.width)x\(settings.height): sides must be even and at least 16 (H.264 4:2:0)")
        }
        guard (1...120).contains(settings.fps) else { throw PhotoMotionVideoError.badInput("fps \(settings.fps) not in 1...120") }
        guard settings.duration.isFinite, settings.duration > 0, settings.duration <= 600 else {
            throw PhotoMotionVideoError.badInput("duration \(settings.duration) s not in (0, 600]")
        }
        guard settings.focalLength.isFinite, settings.focalLength > 0 else {
            throw PhotoMotionVideoError.badInput("focal length \(settings.focalLength) must be positive")
        }
        if case let .checkerboard(cell, _, _) = settings.background, cell < 1 {
            throw PhotoMotionVideoError.badInput("checkerboard cell \(cell) must be at least 1 pixel")
        }
        guard subjectHeight > 0, subjectCentre.x.isFinite, subjectCentre.y.isFinite else {
            throw PhotoMotionVideoError.badInput("subject height \(subjectHeight) must be positive, its centre finite")
        }
        self.photo = photo
        self.subjectCentre = subjectCentre
        self.subjectHeight = subjectHeight
        self.motion = motion
        self.settings = settings

        let count = max(1, Int((settings.duration * Double(settings.fps)).rounded()))
        let f = settings.focalLength * Double(settings.width)
        let principal = SIMD2(Double(settings.width - 1) / 2, Double(settings.height - 1) / 2)
        let corners = [SIMD2(0.0, 0.0), SIMD2(Double(photo.width - 1), 0), SIMD2(0, Double(photo.height - 1)),
                       SIMD2(Double(photo.width - 1), Double(photo.height - 1))]
        var frames: [Frame] = []
        frames.reserveCapacity(count)
        for i in 0..<count {
            let t = Double(i) / Double(settings.fps)
            let pose = motion.pose(at: t, width: settings.width, height: settings.height, subjectHeight: subjectHeight)
            guard [pose.x, pose.y, pose.scale, pose.roll, pose.yaw, pose.pitch].allSatisfy(\.isFinite), pose.scale > 0 else {
                throw PhotoMotionVideoError.badInput("frame \(i) (t=\(t) s): the script gives a non-finite or non-positive pose \(pose)")
            }
            let h = PhotoHomography(pose: pose, pivot: subjectCentre, focalLength: f, principalPoint: principal)
            // Depth is affine over the photo, so positive at the corners means positive everywhere.
            if let depth = corners.map({ h.applyHomogeneous($0).z }).min(), depth < 0.05 {
                throw PhotoMotionVideoError.badInput("frame \(i) (t=\(t) s): part of the photo is at or behind the camera (depth \(depth) focal lengths); tilt less or show it smaller")
            }
            frames.append(Frame(index: i, time: t, pose: pose, homography: h))
        }
        self.frames = frames

        let scales = frames.map(\.pose.scale).sorted()
        let median = scales[scales.count / 2]
        var level = 0
        var sampled = photo
        while median * Double(1 << (level + 1)) <= 1.0, sampled.width >= 4, sampled.height >= 4 {
            sampled = Self.halved(sampled)
            level += 1
        }
        self.level = level
        self.sampled = sampled
        backgroundBytes = Self.background(settings, stride: (settings.width * 3 + 3) & ~3)
    }

    /// A member's reference photo from `../shared/faces`, its subject the face that
    /// `reference.json` records for it (dlib's HOG box).
    public static func member(_ file: String = "obama.jpg", motion: PhotoMotion, settings: Settings = Settings()) throws -> PhotoMotionVideo {
        guard let face = try ReferenceFaces.load().photo(file)?.faces.first else {
            throw PhotoMotionVideoError.badInput("\(file) has no face in reference.json")
        }
        let photo = try Image(contentsOfFile: Paths.face(file).path)
        return try PhotoMotionVideo(photo: photo, subjectCentre: face.boxCentre, subjectHeight: Double(face.bottom - face.top + 1),
                                    motion: motion, settings: settings)
    }

    /// Where photo point `p` (photo pixels) appears in frame `index`.
    public func project(_ p: SIMD2<Double>, frame index: Int) -> SIMD2<Double> {
        frames[index].homography.apply(p)
    }

    /// Frame `index` as RGB24, rows `stride` bytes apart.
    public func render(frame index: Int) -> Image {
        var bytes = backgroundBytes
        draw(frame: index, into: &bytes)
        return Image(format: .rgb24, width: settings.width, height: settings.height, stride: stride, bytes: bytes)
    }

    /// Renders every frame and encodes them to an H.264 MP4 at `url`, frames streamed to
    /// gst-launch-1.0 through a pipe (no raw file, drawing and encoding overlap).
    @discardableResult
    public func write(to url: URL) throws -> RenderReport {
        let w = settings.width, h = settings.height
        let launch = ["-q", "fdsrc", "fd=0", "!",
                      "rawvideoparse", "width=\(w)", "height=\(h)", "format=rgb", "framerate=\(settings.fps)/1", "!",
                      "videoconvert", "!", "video/x-raw,format=I420", "!",
                      // Constant quality rather than x264's default 2 Mbit/s: a photo's detail
                      // must reach the recognizer, or a miss would be the encoder's doing.
                      "x264enc", "speed-preset=superfast", "pass=qual", "quantizer=20", "key-int-max=\(settings.fps)", "!",
                      "video/x-h264,profile=high", "!", "mp4mux", "!", "filesink", "location=\(url.path)"]
        let started = Date()
        let childrenBefore = Self.childrenCPUSeconds()
        let encoder = try GstLaunchProcess(arguments: launch, stdin: true)
        var renderCPU = 0.0
        var writeError: Int32 = 0
        var bytes = backgroundBytes
        for index in frames.indices {
            let cpu = Self.threadCPUSeconds()
            bytes.withUnsafeMutableBytes { frame in
                backgroundBytes.withUnsafeBytes { frame.copyMemory(from: $0) }
            }
            draw(frame: index, into: &bytes)
            renderCPU += Self.threadCPUSeconds() - cpu
            writeError = encoder.writeAll(bytes)
            if writeError != 0 { break }
        }
        let (status, output) = encoder.finish()
        guard status == 0, writeError == 0 else {
            throw PhotoMotionVideoError.encoder(status: status, output: writeError == 0 ? output
                                                : "writing frames: \(String(cString: strerror(writeError)))\n\(output)")
        }
        return RenderReport(frames: frames.count, renderCPUSeconds: renderCPU,
                            encodeCPUSeconds: Self.childrenCPUSeconds() - childrenBefore,
                            wallSeconds: Date().timeIntervalSince(started))
    }

    // MARK: Drawing

    private func draw(frame index: Int, into bytes: inout [UInt8]) {
        let w = settings.width, h = settings.height, stride = self.stride
        let texture = sampled
        let tw = texture.width, th = texture.height, tstride = texture.stride
        // Texel (i, j) of the 2^level reduction averages photo pixels 2^level·i ..< 2^level·(i+1).
        let factor = Double(1 << level)
        let toPhoto = PhotoHomography([factor, 0, (factor - 1) / 2, 0, factor, (factor - 1) / 2, 0, 0, 1])
        let toFrame = frames[index].homography.after(toPhoto)
        let corners = [SIMD2(0.0, 0.0), SIMD2(Double(tw - 1), 0), SIMD2(0, Double(th - 1)), SIMD2(Double(tw - 1), Double(th - 1))]
            .map { toFrame.apply($0) }
        let x0 = max(0, Int(floor(corners.map(\.x).min()!))), x1 = min(w - 1, Int(ceil(corners.map(\.x).max()!)))
        let y0 = max(0, Int(floor(corners.map(\.y).min()!))), y1 = min(h - 1, Int(ceil(corners.map(\.y).max()!)))
        guard x0 <= x1, y0 <= y1 else { return }
        let g = toFrame.inverse.matrix
        let maxU = Double(tw - 1), maxV = Double(th - 1)
        texture.bytes.withUnsafeBufferPointer { srcBuffer in
            bytes.withUnsafeMutableBufferPointer { dstBuffer in
                // Raw pointers and integer weights (1/256ths): this runs in debug builds, where
                // every buffer subscript and float conversion is a call.
                let src = srcBuffer.baseAddress!, dst = dstBuffer.baseAddress!
                let lastU = tw - 2, lastV = th - 2
                let du = g[0], dv = g[3], dw = g[6]
                for y in y0...y1 {
                    // Homogeneous photo coordinates advance linearly along a row.
                    var a = g[0] * Double(x0) + g[1] * Double(y) + g[2]
                    var b = g[3] * Double(x0) + g[4] * Double(y) + g[5]
                    var c = g[6] * Double(x0) + g[7] * Double(y) + g[8]
                    var out = dst + (y * stride + x0 * 3)
                    for _ in x0...x1 {
                        if c > 0 {
                            let u = a / c, v = b / c
                            if u >= 0, v >= 0, u <= maxU, v <= maxV {
                                let fu = Int(u * 256), fv = Int(v * 256)
                                var iu = fu >> 8, iv = fv >> 8
                                var wu = fu & 255, wv = fv & 255
                                if iu > lastU { iu = lastU; wu = 256 }
                                if iv > lastV { iv = lastV; wv = 256 }
                                let w00 = (256 - wu) * (256 - wv), w10 = wu * (256 - wv), w01 = (256 - wu) * wv, w11 = wu * wv
                                let p = src + (iv * tstride + iu * 3), q = p + tstride
                                out[0] = UInt8(truncatingIfNeeded: (w00 * Int(p[0]) + w10 * Int(p[3]) + w01 * Int(q[0]) + w11 * Int(q[3]) + 32768) >> 16)
                                out[1] = UInt8(truncatingIfNeeded: (w00 * Int(p[1]) + w10 * Int(p[4]) + w01 * Int(q[1]) + w11 * Int(q[4]) + 32768) >> 16)
                                out[2] = UInt8(truncatingIfNeeded: (w00 * Int(p[2]) + w10 * Int(p[5]) + w01 * Int(q[2]) + w11 * Int(q[5]) + 32768) >> 16)
                            }
                        }
                        a += du; b += dv; c += dw
                        out += 3
                    }
                }
            }
        }
    }

    /// Half the size, each pixel the mean of a 2x2 block (an odd last row/column dropped).
    static func halved(_ image: Image) -> Image {
        let w = image.width / 2, h = image.height / 2, s = image.stride
        var out = [UInt8](repeating: 0, count: w * h * 3)
        image.bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        let p = 2 * y * s + 2 * x * 3, q = p + s
                        for ch in 0..<3 {
                            let sum = Int(src[p + ch]) + Int(src[p + 3 + ch]) + Int(src[q + ch]) + Int(src[q + 3 + ch])
                            dst[(y * w + x) * 3 + ch] = UInt8((sum + 2) / 4)
                        }
                    }
                }
            }
        }
        return Image(format: .rgb24, width: w, height: h, bytes: out)
    }

    static func background(_ settings: Settings, stride: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: stride * settings.height)
        for y in 0..<settings.height {
            for x in 0..<settings.width {
                let colour: Colour
                switch settings.background {
                case let .solid(c): colour = c
                case let .checkerboard(cell, a, b): colour = (x / cell + y / cell) % 2 == 0 ? a : b
                }
                let p = y * stride + x * 3
                bytes[p] = colour.red; bytes[p + 1] = colour.green; bytes[p + 2] = colour.blue
            }
        }
        return bytes
    }

    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// User + system CPU of reaped children. Tests start their children one at a time, so the
    /// difference across one encode is that encode.
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

public enum PhotoMotionVideoError: Error, CustomStringConvertible {
    case badInput(String)
    case encoder(status: Int32, output: String)
    case decoder(String)

    public var description: String {
        switch self {
        case let .badInput(why): "photo motion video: \(why)"
        case let .encoder(status, output): "gst-launch-1.0 encoding the photo motion video failed (exit \(status)):\n\(output)"
        case let .decoder(why): "decoding video: \(why)"
        }
    }
}

extension ReferenceFaces.Face {
    /// Centre of the reference box, photo pixels (dlib's right/bottom are inclusive).
    public var boxCentre: SIMD2<Double> {
        SIMD2(Double(left + right) / 2, Double(top + bottom) / 2)
    }
}
