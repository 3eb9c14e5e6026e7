import ArgumentParser
import GalleryStore

struct FacesEnrollCrop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll-crop",
        abstract: "Enroll the face of an audit row (a face no member matched) for a member, from its kept crop.",
        discussion: """
        The broker keeps a small picture of every face it judges (the [crops] section says for \
        how long), and for a face no member matched its descriptor too. This stores that \
        descriptor as a face of MEMBER, exactly as `faces enroll` stores one from a photo, named \
        by the SHA-256 of the crop: no photo and no face engine needed. `facegate audit tail` \
        shows crop=yes on rows that have a crop; rows of matched members keep no descriptor and \
        are refused. The web console does the same from its Unknown faces page.

        With --new the member is added first (refused if one of that name exists); without it \
        the member must exist. Grants are given separately (`facegate grants add`).
        """)

    @Option(name: .customLong("audit-id"), parsing: .unconditional, help: ArgumentHelp("The audit row of the face.", valueName: "n"))
    var auditID: Int64

    @Option(help: ArgumentHelp("The member to enroll the face for.", valueName: "name"))
    var member: String

    @Flag(name: .customLong("new"), help: "Add the member first (refused if one of that name exists).")
    var createMember = false

    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if auditID < 1 { throw ValidationError("--audit-id \(auditID): audit ids start at 1.") }
    }

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let face = try store.enrollFromCrop(auditID: auditID, member: member, createMember: createMember)
        if createMember { print("added member \(face.member.name)") }
        print("audit row \(auditID): face stored for \(face.member.name) (face id \(face.id), crop \(face.sourceSHA256.prefix(12)))")
    }
}
