import ArgumentParser
import BrokerCore
import Foundation
import GalleryStore

struct MembersGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "Add, list and remove members (the people facegate may recognize).",
        discussion: """
        A member is a name with enrolled face descriptors (see `facegate faces`) and grants for \
        locks (see `facegate grants`). Names are unique ignoring case, at most 64 characters, \
        without leading or trailing white space.
        """,
        subcommands: [MembersAdd.self, MembersList.self, MembersRemove.self]
    )
}

struct MembersAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a member with no faces and no grants.",
        discussion: "Creates the database if it does not exist yet. Fails if a member of that name (ignoring case) exists.")

    @Argument(help: "The member's name, e.g. alice.")
    var name: String

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (_, store) = try options.openStore(creating: true)
        let member = try store.addMember(name: name)
        print("added member \(member.name) (id \(member.id))")
    }
}

struct MembersList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List members with their number of faces and their grants.",
        discussion: """
        Text: one member per line, sorted by name. With --json: a JSON array of objects with \
        id, name, faces, grants (lock ids) and added (UTC time).
        """)

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let members = try store.listMembers()
        if json {
            print(Output.json(members.map { m -> [String: Any] in
                ["id": m.id.rawValue, "name": m.name, "faces": m.faceCount, "grants": m.grants.map(\.rawValue),
                 "added": Output.utcTime(wallNs: m.createdWallNs)]
            }))
        } else if members.isEmpty {
            print("no members (add one with `facegate members add NAME`)")
        } else {
            print(Output.table(["NAME", "FACES", "GRANTS", "ADDED"], members.map { m in
                [m.name, String(m.faceCount), m.grants.isEmpty ? "-" : m.grants.map(\.rawValue).joined(separator: ","),
                 Output.localTime(wallNs: m.createdWallNs)]
            }))
        }
    }
}

struct MembersRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a member together with their faces and grants.",
        discussion: "The broker stops recognizing the member within a second. Audit rows naming them are kept.")

    @Argument(help: "The member's name (case does not matter).")
    var name: String

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let removed = try store.removeMember(name: name)
        let grants = removed.grants.isEmpty ? "no grants" : "grants \(removed.grants.map(\.rawValue).joined(separator: ","))"
        print("removed member \(removed.name) (\(removed.faceCount) face\(removed.faceCount == 1 ? "" : "s"), \(grants))")
    }
}
