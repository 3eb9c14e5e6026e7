import Vocabulary

/// Faces grouped by similarity, for the console's unknown faces: a stranger seen in twenty
/// frames is one group to enroll, not twenty.
///
/// Two faces are linked when `Gallery.match` would take one for the other: Euclidean distance
/// at most `threshold` (the same `<=` on the same square root of the same sum). A group is a set
/// of faces connected by links (single linkage), so the result depends only on the set of
/// descriptors and the threshold, never on the order faces are compared in. A chain of close
/// faces can join two people whose own faces are farther apart than the threshold: the
/// console shows the group's crops, and enrolling is always one crop at a time.
public enum FaceClusters {
    /// Indices into `descriptors`, one array per group: each ascending, groups ordered by their
    /// first index. Every index appears exactly once. O(n²) distances: callers bound n (a page).
    public static func group(_ descriptors: [FaceDescriptor], threshold: Double) -> [[Int]] {
        let n = descriptors.count
        var parent = Array(0..<n)
        func root(_ i: Int) -> Int {
            var r = i
            while parent[r] != r { r = parent[r] }
            var j = i
            while parent[j] != r { (parent[j], j) = (r, parent[j]) }
            return r
        }
        for i in 0..<n {
            for j in (i + 1)..<n {
                let a = root(i), b = root(j)
                if a == b { continue }
                if descriptors[i].distance(to: descriptors[j]) <= threshold {
                    // The smaller index stays the root: the group's first member names it.
                    parent[max(a, b)] = min(a, b)
                }
            }
        }
        var groups: [[Int]] = []
        var slot = [Int](repeating: -1, count: n)
        for i in 0..<n {
            let r = root(i)
            if slot[r] < 0 {
                slot[r] = groups.count
                groups.append([])
            }
            groups[slot[r]].append(i)
        }
        return groups
    }

    /// As `group(_:threshold:)` with a `Float` threshold, compared exactly as its `Double` value.
    public static func group(_ descriptors: [FaceDescriptor], threshold: Float) -> [[Int]] {
        group(descriptors, threshold: Double(threshold))
    }
}
