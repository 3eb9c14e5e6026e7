import Vocabulary

/// A member as decisions and audit rows name them.
public struct MemberRef: Hashable, Sendable, Codable, CustomStringConvertible {
    public var id: MemberID
    public var name: String
    public init(id: MemberID, name: String) { self.id = id; self.name = name }
    public var description: String { name }
}

/// Members, their face descriptors and their grants, as loaded from the store at one instant.
///
/// An immutable value: the broker swaps in a new one when the store's change token moves, and a
/// decision in flight uses the one it was handed.
public struct Gallery: Sendable {
    public struct Member: Hashable, Sendable {
        public var id: MemberID
        public var name: String
        public var descriptors: [FaceDescriptor]
        /// Locks this member may open.
        public var grants: Set<LockID>

        public init(id: MemberID, name: String, descriptors: [FaceDescriptor], grants: Set<LockID>) {
            self.id = id; self.name = name; self.descriptors = descriptors; self.grants = grants
        }

        public var ref: MemberRef { MemberRef(id: id, name: name) }
    }

    public let members: [Member]
    private let indexByID: [MemberID: Int]
    /// All descriptors back to back, so a match is one pass over contiguous memory.
    private let flat: [Float]
    /// `owner[k]` is the index in `members` of descriptor `k` in `flat`.
    private let owner: [Int]

    public static let empty = Gallery(members: [])

    public init(members: [Member]) {
        self.members = members
        var index: [MemberID: Int] = [:]
        var flat: [Float] = []
        var owner: [Int] = []
        for (m, member) in members.enumerated() {
            index[member.id] = m
            for d in member.descriptors {
                flat.append(contentsOf: d.values)
                owner.append(m)
            }
        }
        self.indexByID = index
        self.flat = flat
        self.owner = owner
    }

    public func member(_ id: MemberID) -> Member? { indexByID[id].map { members[$0] } }

    public var descriptorCount: Int { owner.count }

    /// Nearest member by Euclidean distance over every descriptor of every member.
    ///
    /// - A match needs a distance of at most `threshold`.
    /// - It must also be at least `margin` closer than the nearest descriptor of any *other*
    ///   member (a member's own second photo never makes it ambiguous). A tie between two
    ///   members is ambiguous whatever the margin.
    public func match(_ probe: FaceDescriptor, threshold: Double, margin: Double) -> MatchResult {
        var bestPerMember = [Float](repeating: .infinity, count: members.count)
        probe.values.withUnsafeBufferPointer { p in
            flat.withUnsafeBufferPointer { f in
                let dim = FaceDescriptor.dimension
                for k in 0..<owner.count {
                    let d = FaceDescriptor.squaredDistance(p.baseAddress!, f.baseAddress! + k * dim)
                    if d < bestPerMember[owner[k]] { bestPerMember[owner[k]] = d }
                }
            }
        }
        var best: (index: Int, sq: Float)?
        var second: (index: Int, sq: Float)?
        for (m, sq) in bestPerMember.enumerated() where sq.isFinite {
            if best == nil || sq < best!.sq {
                second = best
                best = (m, sq)
            } else if second == nil || sq < second!.sq {
                second = (m, sq)
            }
        }
        guard let best else { return .unknown(nearest: nil) }
        let nearest = Nearest(member: members[best.index].ref, distance: Double(best.sq).squareRoot())
        let other = second.map { Nearest(member: members[$0.index].ref, distance: Double($0.sq).squareRoot()) }
        guard nearest.distance <= threshold else { return .unknown(nearest: nearest) }
        if let other {
            let gap = other.distance - nearest.distance
            if gap < margin || gap == 0 { return .ambiguous(best: nearest, other: other) }
        }
        return .matched(nearest, runnerUp: other)
    }
}

/// A member and how far the probe was from their nearest descriptor.
public struct Nearest: Hashable, Sendable {
    public var member: MemberRef
    public var distance: Double
    public init(member: MemberRef, distance: Double) { self.member = member; self.distance = distance }
}

public enum MatchResult: Hashable, Sendable {
    case matched(Nearest, runnerUp: Nearest?)
    /// Nobody within the threshold (`nearest` is nil when the gallery has no descriptors).
    case unknown(nearest: Nearest?)
    /// Within the threshold, but another member is not `margin` farther away.
    case ambiguous(best: Nearest, other: Nearest)
}
