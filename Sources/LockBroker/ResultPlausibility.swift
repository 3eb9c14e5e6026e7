import BrokerCore
import Vocabulary

/// Limits a recognition result must meet before it may decide anything, whatever the
/// recognizer claims. A camera never sees the exact pixels a member was enrolled from, so a
/// descriptor identical to a stored one is a replay by whoever can speak on the recognizer
/// socket, not a face in front of a door; and a face box outside the frame it was computed
/// from was not computed from that frame.
///
/// Pure: BrokerService.decide calls `check` with the frame size it stored for the txn, and
/// treats a non-nil answer as a deny (audited with `description`) for the whole result.
struct ResultPlausibility: Sendable {
    /// Distances to a stored descriptor at or below this are a copy. dlib's descriptors of two
    /// different captures of one face are ~0.02 apart at the very least; Float round trips of
    /// a copied descriptor stay below 1e-6.
    var minimumDistance: Double = 1e-6

    enum Violation: Equatable, Sendable, CustomStringConvertible {
        /// Face `face` (index in the result) equals a stored descriptor of `member`.
        case replayedDescriptor(face: Int, member: String, distance: Double)
        /// Face `face`'s box is empty or reaches outside the `width` x `height` frame.
        case boxOutsideFrame(face: Int, box: FaceBox, width: Int, height: Int)

        var description: String {
            switch self {
            case let .replayedDescriptor(face, member, distance):
                "implausible result: face \(face) is at distance \(distance) from a stored descriptor of \(member) "
                    + "(a copy, not a camera image)"
            case let .boxOutsideFrame(face, box, width, height):
                "implausible result: face \(face) box \(box) "
                    + "is empty or outside the \(width)x\(height) frame"
            }
        }
    }

    /// The first reason `faces` cannot have come from a `frame`-sized capture, or nil.
    func check(_ faces: [DetectedFace], frame: ImageSize, gallery: Gallery) -> Violation? {
        for (index, face) in faces.enumerated() {
            let box = face.box
            let inside = box.left >= 0 && box.top >= 0 && box.right <= frame.width
                && box.bottom <= frame.height && box.left < box.right && box.top < box.bottom
            if !inside { return .boxOutsideFrame(face: index, box: box, width: frame.width, height: frame.height) }
        }
        for (index, face) in faces.enumerated() {
            for member in gallery.members {
                for stored in member.descriptors {
                    let distance = face.descriptor.distance(to: stored)
                    if distance <= minimumDistance {
                        return .replayedDescriptor(face: index, member: member.name, distance: distance)
                    }
                }
            }
        }
        return nil
    }
}
