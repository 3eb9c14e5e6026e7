import ArgumentParser
import BrokerCore
import Foundation
import GalleryStore

struct FacesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List enrolled faces, of one member or of everyone.",
        discussion: """
        Text: one face per line by id, with the first 12 hex digits of the source photo's \
        SHA-256, the descriptor model and the detector settings it was made with. With --json: a \
        JSON array of objects with id, member, sha256, model, detector and enrolled (UTC time).
        """)

    @Argument(help: "Only this member's faces.")
    var member: String?

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let faces = try store.listFaces(member: member)
        if json {
            print(Output.json(faces.map { f -> [String: Any] in
                ["id": f.id, "member": f.member.name, "sha256": f.sourceSHA256, "model": f.model, "detector": f.detector,
                 "enrolled": Output.utcTime(wallNs: f.createdWallNs)]
            }))
        } else if faces.isEmpty {
            print(member.map { "no faces enrolled for \($0)" } ?? "no faces enrolled")
        } else {
            print(Output.table(["ID", "MEMBER", "IMAGE", "MODEL", "DETECTOR", "ENROLLED"], faces.map { f in
                [String(f.id), f.member.name, String(f.sourceSHA256.prefix(12)), f.model, f.detector,
                 Output.localTime(wallNs: f.createdWallNs)]
            }))
        }
    }
}

struct FacesRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove one enrolled face by its id (see `facegate faces list`).")

    @Argument(help: "The face's id.")
    var id: Int64

    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if id < 1 { throw ValidationError("Face ids are positive numbers; `facegate faces list` shows them.") }
    }

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let removed = try store.removeFace(id: id)
        print("removed face \(removed.id) of \(removed.member.name) (image \(removed.sourceSHA256.prefix(12)))")
    }
}
