/// A small deterministic generator, so a failing mutation is reproducible from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutations of valid message bodies for robustness tests and the fuzz benchmark: bit flips,
/// random and boundary bytes, insertions, deletions, truncations — one to three per call.
public enum WireMutator {
    public static func mutate(_ body: inout [UInt8], _ rng: inout SplitMix64) {
        let operations = Int(rng.next() % 3) + 1
        for _ in 0..<operations {
            guard !body.isEmpty else { body.append(UInt8(truncatingIfNeeded: rng.next())); continue }
            let at = Int(rng.next() % UInt64(body.count))
            switch rng.next() % 6 {
            case 0: body[at] ^= UInt8(1) << UInt8(rng.next() % 8)
            case 1: body[at] = UInt8(truncatingIfNeeded: rng.next())
            case 2: body.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            case 3: body.remove(at: at)
            case 4: body[at] = [0x00, 0xff, 0x7f, 0x80][Int(rng.next() % 4)]
            default: body.removeLast(min(body.count, Int(rng.next() % 8)))
            }
        }
    }
}
