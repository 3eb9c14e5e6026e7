import ArgumentParser

struct FacesGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faces",
        abstract: "Enroll members' faces from photos, list and remove them, check a photo against the gallery.",
        discussion: """
        Faces are found and described by the same dlib engine facegate-recognizer uses, with the \
        configuration's [recognizer] settings (detector, upsample, landmarks, models_dir): a \
        128-number descriptor per face. Photos are searched at full resolution (one wider than \
        2048 px is scaled down for the search only). The broker compares the faces it sees with \
        every enrolled descriptor: a face matches the member with the nearest descriptor when \
        that distance is at most decision.match_threshold and at least decision.match_margin \
        smaller than the nearest descriptor of any other member.

        Enroll several photos per member (different days, light, glasses) for reliable matches. \
        Faces in a photo are numbered from 0, left to right (by the left edge of their box), in \
        every command that shows or takes a face number.
        """,
        subcommands: [FacesEnroll.self, FacesEnrollCrop.self, FacesList.self, FacesRemove.self, FacesCheck.self]
    )
}
