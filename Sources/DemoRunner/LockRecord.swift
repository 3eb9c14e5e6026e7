import Foundation

/// One line of the lock simulator's `--record` file: an occupancy report it published or a
/// `/set` command it received, stamped with CLOCK_MONOTONIC (the clock of capture times).
struct LockRecord: Decodable {
    var event: String
    var lock: String?
    var occupancy: Bool?
    var topic: String?
    var payload: String?
    /// UNLOCK, LOCK or TOGGLE for a usable command.
    var state: String?
    /// The simulated bolt after the command.
    var lockState: String?
    var error: String?
    var monotonicNs: UInt64?

    enum CodingKeys: String, CodingKey {
        case event, lock, occupancy, topic, payload, state, error
        case lockState = "lock_state"
        case monotonicNs = "monotonic_ns"
    }

    /// nil for a line that is not a record (e.g. cut short by a crash).
    init?(line: String) {
        guard let record = try? JSONDecoder().decode(LockRecord.self, from: Data(line.utf8)) else { return nil }
        self = record
    }

    static func all(in url: URL) -> [LockRecord] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { LockRecord(line: String($0)) }
    }
}
