import ArgumentParser
import BrokerCore
import FacegateConfig
import Foundation
import GalleryStore

struct GrantsGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants",
        abstract: "Give, list and take away members' grants for locks.",
        discussion: """
        A grant lets a recognized member open one lock. facegate unlocks a lock only for a member \
        who holds a grant for it, and only while that lock's keypad was touched (or the camera's \
        motion trigger that lists the lock was on) when the frame was captured.
        """,
        subcommands: [GrantsAdd.self, GrantsRemove.self, GrantsList.self]
    )
}

struct GrantsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Let a member open a lock.",
        discussion: "LOCK must be the id of a [[locks]] entry in the configuration.")

    @Argument(help: "The member's name.")
    var member: String

    @Argument(help: "The lock's id, e.g. DC006.")
    var lock: String

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (configuration, store) = try options.openStore(creating: false)
        guard configuration.lock(id: lock) != nil else {
            throw AdminError.unknownLock(lock, known: configuration.locks.map(\.id), configFile: options.path)
        }
        let grant = try store.addGrant(member: member, lock: lock)
        print("granted \(grant.member.name) lock \(grant.lock)")
    }
}

struct GrantsRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Take a member's grant for a lock away.",
        discussion: "Works also for a lock that is no longer in the configuration.")

    @Argument(help: "The member's name.")
    var member: String

    @Argument(help: "The lock's id.")
    var lock: String

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        try store.removeGrant(member: member, lock: lock)
        print("revoked \(member)'s grant for lock \(lock)")
    }
}

struct GrantsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List grants, of one member or of everyone.",
        discussion: """
        Text: one grant per line, by member then lock; a grant for a lock that is not in the \
        configuration (any more) is marked "not configured": it opens nothing. With --json: a \
        JSON array of objects with member, lock, configured (bool) and added (UTC time).
        """)

    @Argument(help: "Only this member's grants.")
    var member: String?

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (configuration, store) = try options.openStore(creating: false)
        let grants = try store.listGrants(member: member)
        func configured(_ g: GrantRecord) -> Bool { configuration.lock(id: g.lock.rawValue) != nil }
        if json {
            print(Output.json(grants.map { g -> [String: Any] in
                ["member": g.member.name, "lock": g.lock.rawValue, "configured": configured(g),
                 "added": Output.utcTime(wallNs: g.createdWallNs)]
            }))
        } else if grants.isEmpty {
            print(member.map { "\($0) holds no grants" } ?? "no grants")
        } else {
            print(Output.table(["MEMBER", "LOCK", "ADDED", ""], grants.map { g in
                [g.member.name, g.lock.rawValue, Output.localTime(wallNs: g.createdWallNs), configured(g) ? "" : "not configured"]
            }))
        }
    }
}
