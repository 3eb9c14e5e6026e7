import Foundation

/// One smoothly varying quantity of a `PhotoMotion` script: a constant plus sinusoids of time.
/// Sinusoids because a hand holding a picture sways, turns and comes back; no randomness, so
/// the same script renders the same video on every run.
public struct MotionCurve: Sendable, Hashable {
    public struct Sinusoid: Sendable, Hashable {
        public var amplitude: Double
        /// Seconds.
        public var period: Double
        /// Fraction of a period (0..<1) the sinusoid has advanced at t = 0.
        public var phase: Double

        public init(amplitude: Double, period: Double, phase: Double = 0) {
            self.amplitude = amplitude
            self.period = period
            self.phase = phase
        }
    }

    public var mean: Double
    public var sinusoids: [Sinusoid]

    public init(_ mean: Double, _ sinusoids: Sinusoid...) {
        self.mean = mean
        self.sinusoids = sinusoids
    }

    public static func constant(_ value: Double) -> MotionCurve { MotionCurve(value) }

    public func value(at t: Double) -> Double {
        sinusoids.reduce(mean) { $0 + $1.amplitude * sin(2 * .pi * (t / $1.period + $1.phase)) }
    }

}

/// Where a photo is and how it faces the camera at one instant.
public struct PhotoPose: Sendable, Hashable {
    /// Where the photo's subject centre appears, frame pixels.
    public var x: Double
    public var y: Double
    /// Frame pixels per photo pixel for a photo facing the camera; tilting it leaves this at
    /// the subject centre and stretches one side, shrinks the other.
    public var scale: Double
    /// Degrees. Roll turns the photo in its own plane (positive: clockwise on screen); yaw
    /// tilts it about a vertical axis (positive: right edge away from the camera), pitch about
    /// a horizontal one (positive: top edge away from the camera).
    public var roll: Double
    public var yaw: Double
    public var pitch: Double

    public init(x: Double, y: Double, scale: Double, roll: Double = 0, yaw: Double = 0, pitch: Double = 0) {
        self.x = x
        self.y = y
        self.scale = scale
        self.roll = roll
        self.yaw = yaw
        self.pitch = pitch
    }
}

/// How a hand moves a photo in front of the camera over time, independent of the frame size
/// and of the photo: positions are fractions of the frame, the size is the subject's height as
/// a fraction of the frame height, angles are degrees.
public struct PhotoMotion: Sendable, Hashable {
    /// Subject centre, fraction of the frame width from the left.
    public var x: MotionCurve
    /// Subject centre, fraction of the frame height from the top.
    public var y: MotionCurve
    /// Subject height on screen, fraction of the frame height, when the photo faces the camera.
    public var subjectHeight: MotionCurve
    public var roll: MotionCurve
    public var yaw: MotionCurve
    public var pitch: MotionCurve

    public init(x: MotionCurve = .constant(0.5), y: MotionCurve = .constant(0.5), subjectHeight: MotionCurve,
                roll: MotionCurve = .constant(0), yaw: MotionCurve = .constant(0), pitch: MotionCurve = .constant(0)) {
        self.x = x
        self.y = y
        self.subjectHeight = subjectHeight
        self.roll = roll
        self.yaw = yaw
        self.pitch = pitch
    }

    /// The pose at `t` seconds in a `width`×`height` frame, for a subject `subjectHeight`
    /// photo pixels tall.
    public func pose(at t: Double, width: Int, height: Int, subjectHeight photoPixels: Double) -> PhotoPose {
        PhotoPose(x: x.value(at: t) * Double(width), y: y.value(at: t) * Double(height),
                  scale: subjectHeight.value(at: t) * Double(height) / photoPixels,
                  roll: roll.value(at: t), yaw: yaw.value(at: t), pitch: pitch.value(at: t))
    }

    // The presets show the subject (a member's face) at the size the real clip
    // (short_hamilton_clip.mp4, 640x360) shows its main face: HOG box 91 px, 0.25 of the
    // frame height.

    /// Held perfectly still, facing the camera: the video twin of `image://`.
    public static let still = PhotoMotion(subjectHeight: .constant(0.26))

    /// A hand holding a photo up: swaying across the frame and up and down, a slow tilt back and
    /// forth (±15° about each axis), a little shake on top. Made to move the face on screen as
    /// far and as fast as the head in the real clip (there, over 4.2 s at 10 frames/s: centre
    /// range 0.17 of the width and 0.19 of the height, about 0.34 frame heights/s along its
    /// path, box 0.21–0.30 of the height).
    public static let handheld = PhotoMotion(
        x: MotionCurve(0.5, .init(amplitude: 0.08, period: 2.4), .init(amplitude: 0.004, period: 0.7)),
        y: MotionCurve(0.42, .init(amplitude: 0.08, period: 1.8, phase: 0.25), .init(amplitude: 0.004, period: 0.9, phase: 0.5)),
        subjectHeight: MotionCurve(0.26, .init(amplitude: 0.03, period: 3.0, phase: 0.1)),
        roll: MotionCurve(0, .init(amplitude: 4, period: 3.5, phase: 0.3), .init(amplitude: 0.5, period: 0.8)),
        yaw: MotionCurve(0, .init(amplitude: 15, period: 4.0)),
        pitch: MotionCurve(0, .init(amplitude: 15, period: 5.0, phase: 0.35)))

    /// What an attacker does to beat a planarity check: tilts the photo hard (±30° about each
    /// axis), turns it ±15° in its plane, brings it 1.2× closer and takes it 0.8× away, and
    /// moves it across the frame.
    public static let tilting = PhotoMotion(
        x: MotionCurve(0.5, .init(amplitude: 0.15, period: 5.0)),
        y: MotionCurve(0.45, .init(amplitude: 0.06, period: 3.5, phase: 0.25)),
        subjectHeight: MotionCurve(0.26, .init(amplitude: 0.052, period: 4.5, phase: 0.5)),
        roll: MotionCurve(0, .init(amplitude: 15, period: 4.0, phase: 0.1)),
        yaw: MotionCurve(0, .init(amplitude: 30, period: 3.0)),
        pitch: MotionCurve(0, .init(amplitude: 30, period: 4.0, phase: 0.4)))
}

/// A plane-to-plane projective map, row-major 3x3: here from photo pixels to frame pixels.
/// Kept separate from BrokerCore's `Homography` on purpose: the test material must not be made
/// with the code it is meant to test.
public struct PhotoHomography: Sendable, Hashable {
    public let matrix: [Double]

    public init(_ matrix: [Double]) {
        precondition(matrix.count == 9, "a homography has 9 entries")
        self.matrix = matrix
    }

    /// Homogeneous image of `p`: the third coordinate is the depth (in focal lengths) for a
    /// map built by `PhotoHomography(pose:…)`, so its sign says in front of / behind the camera.
    public func applyHomogeneous(_ p: SIMD2<Double>) -> SIMD3<Double> {
        let m = matrix
        return SIMD3(m[0] * p.x + m[1] * p.y + m[2], m[3] * p.x + m[4] * p.y + m[5], m[6] * p.x + m[7] * p.y + m[8])
    }

    public func apply(_ p: SIMD2<Double>) -> SIMD2<Double> {
        let h = applyHomogeneous(p)
        return SIMD2(h.x / h.z, h.y / h.z)
    }

    /// `self` after `first`: p ↦ self(first(p)).
    public func after(_ first: PhotoHomography) -> PhotoHomography {
        let a = matrix, b = first.matrix
        var c = [Double](repeating: 0, count: 9)
        for r in 0..<3 { for k in 0..<3 { for j in 0..<3 { c[r * 3 + j] += a[r * 3 + k] * b[k * 3 + j] } } }
        return PhotoHomography(c)
    }

    /// The adjugate: the inverse up to scale (the determinant's sign kept, so depths keep theirs).
    public var inverse: PhotoHomography {
        let m = matrix
        let adj = [m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                   m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                   m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]]
        let det = m[0] * adj[0] + m[1] * adj[3] + m[2] * adj[6]
        return PhotoHomography(adj.map { $0 / det })
    }

    /// A flat photo seen by a pinhole camera: the photo point `pivot` (photo pixels) is placed at
    /// the pose's (x, y) at depth one focal length, scaled by `pose.scale`, rotated by pitch
    /// (about its horizontal axis), then yaw (vertical axis), then roll (the camera's axis).
    /// `focalLength` and the principal point are in frame pixels. Depth, not a 2-D shear, is
    /// what makes the tilted side nearer to the camera larger: the photo is a real plane.
    public init(pose: PhotoPose, pivot: SIMD2<Double>, focalLength f: Double, principalPoint c: SIMD2<Double>) {
        let (sr, cr) = (sin(pose.roll * .pi / 180), cos(pose.roll * .pi / 180))
        let (sy, cy) = (sin(pose.yaw * .pi / 180), cos(pose.yaw * .pi / 180))
        let (sp, cp) = (sin(pose.pitch * .pi / 180), cos(pose.pitch * .pi / 180))
        // R = Rz(roll) · Ry(yaw) · Rx(pitch), columns r1 and r2 (the photo plane's axes).
        let rz: [Double] = [cr, -sr, 0, sr, cr, 0, 0, 0, 1]
        let ry: [Double] = [cy, 0, -sy, 0, 1, 0, sy, 0, cy]
        let rx: [Double] = [1, 0, 0, 0, cp, sp, 0, -sp, cp]
        let r = PhotoHomography(rz).after(PhotoHomography(ry)).after(PhotoHomography(rx)).matrix
        let s = pose.scale
        let t = SIMD3(pose.x - c.x, pose.y - c.y, f)
        // [s·r1  s·r2  t] maps (u − pivot) to camera coordinates; K projects them.
        let extrinsic = PhotoHomography([s * r[0], s * r[1], t.x, s * r[3], s * r[4], t.y, s * r[6], s * r[7], t.z])
        let k = PhotoHomography([f, 0, c.x, 0, f, c.y, 0, 0, 1])
        let centre = PhotoHomography([1, 0, -pivot.x, 0, 1, -pivot.y, 0, 0, 1])
        // Dividing by f makes the third coordinate the depth in focal lengths (1 at the pivot).
        self = PhotoHomography(k.after(extrinsic).after(centre).matrix.map { $0 / f })
    }
}
