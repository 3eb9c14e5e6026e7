import FaceEngine
import Foundation
import TestSupport
import Vocabulary
import XCTest

/// The photo-held-up attack video (issue 10, item 5), made at test time by TestSupport's
/// `PhotoMotionVideo`: geometry a pinhole camera would see, a file GStreamer's decodebin plays,
/// and a fair attack — the real engine finds and recognises the member in it, where the
/// script put him, and the face moves about as much as a real head does in the clip.
final class PhotoMotionVideoTests: XCTestCase {
    /// The recognizer's defaults (`max_detect_width = 640`, HOG upsample 1, 5 points): a 720p
    /// frame is judged as the running system would judge it.
    static let engine: Result<FaceEngine, Error> = Result {
        try FaceEngine(options: FaceEngineOptions(modelsDirectory: Paths.modelsDirectory.path, maxDetectWidth: 640))
    }

    /// A 64x48 test card: a gradient, so any misplaced sample shows.
    private func card() -> Image {
        var bytes: [UInt8] = []
        for y in 0..<48 { for x in 0..<64 { bytes += [UInt8(x * 4), UInt8(y * 5), 200] } }
        return Image(format: .rgb24, width: 64, height: 48, bytes: bytes)
    }

    private func distance(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

    // MARK: Geometry

    func testPosePlacesScalesAndTiltsThePhotoAsAPinholeCameraWould() {
        let pivot = SIMD2(300.0, 200.0), f = 1280.0, c = SIMD2(639.5, 359.5)
        let flat = PhotoHomography(pose: PhotoPose(x: 500, y: 300, scale: 0.5), pivot: pivot, focalLength: f, principalPoint: c)
        XCTAssertLessThan(distance(flat.apply(pivot), SIMD2(500, 300)), 1e-9)
        XCTAssertLessThan(distance(flat.apply(pivot + SIMD2(100, -40)), SIMD2(550, 280)), 1e-9, "facing the camera: a plain scale")

        // Edges 200 photo px from the pivot; a tilted side that goes away shows shorter.
        func edgeLength(_ h: PhotoHomography, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
            distance(h.apply(pivot + a), h.apply(pivot + b))
        }
        let yawed = PhotoHomography(pose: PhotoPose(x: 640, y: 360, scale: 1, yaw: 25), pivot: pivot, focalLength: f, principalPoint: c)
        let right = edgeLength(yawed, SIMD2(200, -200), SIMD2(200, 200)), left = edgeLength(yawed, SIMD2(-200, -200), SIMD2(-200, 200))
        XCTAssertLessThan(right, left * 0.9, "yaw > 0 takes the right edge away: \(right) vs \(left)")
        let pitched = PhotoHomography(pose: PhotoPose(x: 640, y: 360, scale: 1, pitch: 25), pivot: pivot, focalLength: f, principalPoint: c)
        let top = edgeLength(pitched, SIMD2(-200, -200), SIMD2(200, -200)), bottom = edgeLength(pitched, SIMD2(-200, 200), SIMD2(200, 200))
        XCTAssertLessThan(top, bottom * 0.9, "pitch > 0 takes the top edge away: \(top) vs \(bottom)")
        let rolled = PhotoHomography(pose: PhotoPose(x: 640, y: 360, scale: 1, roll: 30), pivot: pivot, focalLength: f, principalPoint: c)
        let turned = rolled.apply(pivot + SIMD2(100, 0)) - SIMD2(640, 360)
        XCTAssertEqual(atan2(turned.y, turned.x) * 180 / .pi, 30, accuracy: 1e-9, "roll > 0 turns clockwise on screen (y down)")
        XCTAssertEqual(edgeLength(rolled, SIMD2(-200, 0), SIMD2(200, 0)), 400, accuracy: 1e-9, "roll alone keeps lengths")

        let everything = PhotoHomography(pose: PhotoPose(x: 700, y: 300, scale: 0.7, roll: -12, yaw: 28, pitch: -22),
                                         pivot: pivot, focalLength: f, principalPoint: c)
        for p in [SIMD2(0.0, 0.0), SIMD2(600, 0), SIMD2(17, 333)] {
            XCTAssertLessThan(distance(everything.inverse.apply(everything.apply(p)), p), 1e-9)
        }
    }

    func testFramesFollowTheScriptAndRenderTheSameEveryTime() throws {
        let settings = PhotoMotionVideo.Settings(width: 320, height: 240, fps: 10, duration: 2, background: .solid(.init(10, 20, 30)))
        let motion = PhotoMotion.tilting
        let a = try PhotoMotionVideo(photo: card(), subjectCentre: SIMD2(32, 24), subjectHeight: 48, motion: motion, settings: settings)
        let b = try PhotoMotionVideo(photo: card(), subjectCentre: SIMD2(32, 24), subjectHeight: 48, motion: motion, settings: settings)
        XCTAssertEqual(a.frames.count, 20)
        XCTAssertEqual(a.frames, b.frames)
        for frame in a.frames {
            let t = Double(frame.index) / 10
            XCTAssertEqual(frame.time, t, accuracy: 1e-12)
            XCTAssertEqual(frame.pose.yaw, motion.yaw.value(at: t), accuracy: 1e-12)
            XCTAssertEqual(frame.pose.scale, motion.subjectHeight.value(at: t) * 240 / 48, accuracy: 1e-12)
            XCTAssertLessThan(distance(a.project(SIMD2(32, 24), frame: frame.index),
                                       SIMD2(motion.x.value(at: t) * 320, motion.y.value(at: t) * 240)), 1e-9)
        }
        XCTAssertTrue(a.frames.contains { abs($0.pose.yaw) > 25 } && a.frames.contains { abs($0.pose.pitch) > 25 },
                      "the tilting preset reaches its tilts within 2 s")

        let image = a.render(frame: 7)
        XCTAssertEqual(image.bytes, b.render(frame: 7).bytes)
        XCTAssertEqual(image.stride, 960)
        // The pixel under the subject centre is the card's centre; a corner of the frame far
        // from the card is the background.
        let centre = a.project(SIMD2(32, 24), frame: 7)
        let p = Int(centre.y.rounded()) * image.stride + Int(centre.x.rounded()) * 3
        XCTAssertEqual(Double(image.bytes[p]), 128, accuracy: 12, "red = 4·x at the card's centre")
        XCTAssertEqual(Double(image.bytes[p + 1]), 120, accuracy: 12, "green = 5·y at the card's centre")
        XCTAssertEqual(Array(image.bytes[0..<3]), [10, 20, 30])
    }

    /// A photo shown at a quarter of its size is sampled from its 4x box-filtered copy; that
    /// copy's texels must still land where the photo's pixels would.
    func testPhotoShownSmallIsSampledWhereItsPixelsAre() throws {
        var bytes: [UInt8] = []
        for y in 0..<192 { for x in 0..<256 { bytes += [UInt8(x), UInt8(y), 0] } }
        let ramp = Image(format: .rgb24, width: 256, height: 192, bytes: bytes)
        let motion = PhotoMotion(subjectHeight: .constant(0.2), roll: .constant(20), yaw: .constant(15))
        let video = try PhotoMotionVideo(photo: ramp, subjectCentre: SIMD2(128, 96), subjectHeight: 192, motion: motion,
                                         settings: .init(width: 320, height: 240, duration: 0.1, background: .solid(.init(0, 0, 255))))
        XCTAssertEqual(video.frames[0].pose.scale, 0.25, accuracy: 1e-12)
        let image = video.render(frame: 0)
        for p in [SIMD2(128.0, 96.0), SIMD2(40, 30), SIMD2(220, 150), SIMD2(60, 170)] {
            // The frame pixel nearest photo point p, and the photo point that pixel shows.
            let q = video.project(p, frame: 0)
            let (x, y) = (Int(q.x.rounded()), Int(q.y.rounded()))
            let shown = video.frames[0].homography.inverse.apply(SIMD2(Double(x), Double(y)))
            let i = y * image.stride + x * 3
            // A linear ramp stays linear through the box filter and bilinear sampling: what
            // is left is rounding to 8 bits.
            XCTAssertEqual(Double(image.bytes[i]), shown.x, accuracy: 1, "red = x of the photo point \(shown) at \(x),\(y)")
            XCTAssertEqual(Double(image.bytes[i + 1]), shown.y, accuracy: 1, "green = y of the photo point \(shown) at \(x),\(y)")
            XCTAssertEqual(image.bytes[i + 2], 0, "inside the photo, not the background")
        }
    }

    func testBadScriptsAndSettingsAreRefusedNamingWhatIsWrong() throws {
        func message(_ settings: PhotoMotionVideo.Settings, _ motion: PhotoMotion = .still, subjectHeight: Double = 48) -> String {
            do {
                _ = try PhotoMotionVideo(photo: card(), subjectCentre: SIMD2(32, 24), subjectHeight: subjectHeight, motion: motion, settings: settings)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(message(.init(width: 321)).contains("frame size 321x720: sides must be even"), message(.init(width: 321)))
        XCTAssertTrue(message(.init(fps: 0)).contains("fps 0"), message(.init(fps: 0)))
        XCTAssertTrue(message(.init(duration: .nan)).contains("duration nan"), message(.init(duration: .nan)))
        XCTAssertTrue(message(.init(background: .checkerboard(cell: 0, .init(0, 0, 0), .init(1, 1, 1)))).contains("cell 0"))
        XCTAssertTrue(message(.init(), subjectHeight: 0).contains("subject height 0"))
        // The photo shown 20 frames high and turned edge-on: its far side would be behind the lens.
        let impossible = PhotoMotion(subjectHeight: .constant(20), yaw: MotionCurve(0, .init(amplitude: 80, period: 4)))
        let why = message(.init(duration: 2), impossible)
        XCTAssertTrue(why.contains("frame 1 (t=0.1 s): part of the photo is at or behind the camera"), why)

        let video = try PhotoMotionVideo(photo: card(), subjectCentre: SIMD2(32, 24), subjectHeight: 48, motion: .still,
                                         settings: .init(width: 64, height: 48, duration: 0.5))
        XCTAssertThrowsError(try video.write(to: URL(fileURLWithPath: "/nonexistent-dir/x.mp4"))) { error in
            XCTAssertTrue("\(error)".contains("gst-launch-1.0 encoding the photo motion video failed"), "\(error)")
            XCTAssertTrue("\(error)".contains("/nonexistent-dir/x.mp4"), "GStreamer's own message names the file: \(error)")
        }
        XCTAssertThrowsError(try DecodedVideo.decode(URL(fileURLWithPath: "/nonexistent-dir/clip.mp4"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("decoding video: /nonexistent-dir/clip.mp4: gst-launch-1.0 exit"), "\(error)")
        }
    }

    // MARK: The video on the real engine

    /// The hardest preset, as the scenario tests will play it: 6 s of 720p at 10 frames/s.
    func testTiltingVideoPlaysAndShowsTheMemberWhereTheScriptPutHim() throws {
        let engine = try Self.engine.get()
        let reference = try XCTUnwrap(ReferenceFaces.load().photo("obama.jpg")?.faces.first)
        let video = try PhotoMotionVideo.member("obama.jpg", motion: .tilting)
        let dir = TemporaryDirectory(prefix: "fg-pv")
        let file = dir.file("obama-tilting.mp4")
        let report = try video.write(to: file)
        print("photo motion video: \(report.frames) frames 1280x720, drawing \(String(format: "%.2f", report.renderCPUSeconds)) s CPU, "
              + "gst-launch \(String(format: "%.2f", report.encodeCPUSeconds)) s CPU, \(String(format: "%.2f", report.wallSeconds)) s wall")

        // Every 6th frame, and the frames where each angle is at its extreme.
        let extremes = [\PhotoPose.yaw, \PhotoPose.pitch, \PhotoPose.roll].compactMap { angle in
            video.frames.max { abs($0.pose[keyPath: angle]) < abs($1.pose[keyPath: angle]) }?.index
        }
        let sample = Set(stride(from: 0, to: video.frames.count, by: 6)).union(extremes)
        let decoded = try DecodedVideo.decode(file) { sample.contains($0) }
        XCTAssertEqual(decoded.width, 1280)
        XCTAssertEqual(decoded.height, 720)
        XCTAssertEqual(decoded.framesPerSecond, 10, accuracy: 1e-9)
        XCTAssertEqual(decoded.frameCount, 60, accuracy: 1, "6 s at 10 frames/s")
        XCTAssertEqual(Set(decoded.frames.keys), sample)

        var worstOffset = 0.0, worstDistance = 0.0
        for index in sample.sorted() {
            let frame = try XCTUnwrap(decoded.frames[index])
            let pose = video.frames[index].pose
            let what = "frame \(index) (yaw \(Int(pose.yaw))°, pitch \(Int(pose.pitch))°, roll \(Int(pose.roll))°, scale \(String(format: "%.2f", pose.scale)))"
            let faces = try engine.analyze(image: frame)
            guard faces.count == 1, let face = faces.first else {
                XCTFail("\(what): \(faces.count) faces, expected obama's alone")
                continue
            }
            // Where the script put the photo's face: its reference box centre, projected.
            let expected = video.project(reference.boxCentre, frame: index)
            let box = face.face.box
            let found = SIMD2(Double(box.left + box.right) / 2, Double(box.top + box.bottom) / 2)
            let offset = distance(found, expected) / Double(box.height)
            worstOffset = max(worstOffset, offset)
            // HOG boxes move in steps of the detector's cells and pyramid levels, and a tilted
            // face's box is not centred on its projected centre: measured up to 0.12.
            XCTAssertLessThan(offset, 0.25, "\(what): box centre \(found) vs script \(expected), in box heights")
            let memberDistance = face.descriptor.distance(to: try FaceDescriptor(reference.descriptor_5pt))
            worstDistance = max(worstDistance, memberDistance)
            XCTAssertLessThan(memberDistance, 0.6, "\(what): still obama to the recognizer")
        }
        print("photo motion video: \(sample.count) frames checked, worst box offset \(String(format: "%.3f", worstOffset)) box heights, "
              + "worst distance to obama's reference \(String(format: "%.3f", worstDistance))")
    }

    /// The face's path on screen, as the recognizer's engine sees it, sampled at the capture's
    /// 10 frames/s: how far and how fast it moves, in fractions of the frame.
    struct FacePath: CustomStringConvertible {
        var xRange = 0.0, yRange = 0.0, meanHeight = 0.0, speed = 0.0, samples = 0, start = 0.0, end = 0.0

        /// `step`: every step-th decoded frame. The path is the longest run of the largest face
        /// with no jump over a quarter of the frame height between samples and no gap over
        /// half a second: in the clip, the main person's head, not the people passing by.
        init(_ url: URL, step: Int, engine: FaceEngine) throws {
            let decoded = try DecodedVideo.decode(url) { $0 % step == 0 }
            let w = Double(decoded.width), h = Double(decoded.height)
            typealias Point = (t: Double, x: Double, y: Double, height: Double)
            var runs: [[Point]] = []
            for index in decoded.frames.keys.sorted() {
                let faces = try engine.detect(image: decoded.frames[index]!)
                guard let face = faces.max(by: { $0.box.height < $1.box.height }) else { continue }
                let point = (t: Double(index) / decoded.framesPerSecond, x: Double(face.box.left + face.box.right) / 2 / w,
                             y: Double(face.box.top + face.box.bottom) / 2 / h, height: Double(face.box.height) / h)
                if let last = runs.last?.last, point.t - last.t <= 0.5,
                   (pow((point.x - last.x) * w / h, 2) + pow(point.y - last.y, 2)).squareRoot() <= 0.25 {
                    runs[runs.count - 1].append(point)
                } else {
                    runs.append([point])
                }
            }
            let points = runs.max { $0.count < $1.count } ?? []
            guard points.count >= 2, let first = points.first, let last = points.last else { return }
            samples = points.count
            start = first.t
            end = last.t
            xRange = points.map(\.x).max()! - points.map(\.x).min()!
            yRange = points.map(\.y).max()! - points.map(\.y).min()!
            meanHeight = points.map(\.height).reduce(0, +) / Double(points.count)
            // Path length in frame heights (x converted by the aspect ratio) per second.
            let path = zip(points, points.dropFirst()).reduce(0.0) { sum, pair in
                sum + (pow((pair.1.x - pair.0.x) * w / h, 2) + pow(pair.1.y - pair.0.y, 2)).squareRoot()
            }
            speed = path / (last.t - first.t)
        }

        var description: String {
            String(format: "centre range %.3f of the width, %.3f of the height; face %.3f of the height; %.3f frame heights/s (%d frames, %.1f–%.1f s)",
                   xRange, yRange, meanHeight, speed, samples, start, end)
        }
    }

    func testHandheldPhotoFaceMovesAboutAsMuchAsTheHeadInTheClip() throws {
        let engine = try Self.engine.get()
        // The clip is 29.97 frames/s: every 3rd frame is the capture's 10.
        let clip = try FacePath(Paths.face("short_hamilton_clip.mp4"), step: 3, engine: engine)
        let dir = TemporaryDirectory(prefix: "fg-pv")
        let file = dir.file("obama-handheld.mp4")
        try PhotoMotionVideo.member("obama.jpg", motion: .handheld).write(to: file)
        let photo = try FacePath(file, step: 1, engine: engine)
        print("face motion, clip:     \(clip)\nface motion, handheld: \(photo)")
        XCTAssertGreaterThanOrEqual(clip.samples, 30, "the clip's main face over about 4 s: \(clip)")
        XCTAssertEqual(photo.samples, 60, "the photo's face in every frame")
        for (name, ours, theirs) in [("x range", photo.xRange, clip.xRange), ("y range", photo.yRange, clip.yRange),
                                     ("face height", photo.meanHeight, clip.meanHeight), ("speed", photo.speed, clip.speed)] {
            let ratio = ours / theirs
            XCTAssertTrue((2.0 / 3)...1.5 ~= ratio, "\(name): handheld \(ours) vs clip \(theirs) (ratio \(ratio))")
        }
    }
}
