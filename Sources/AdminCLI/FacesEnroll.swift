import ArgumentParser
import BrokerCore
import FacegateConfig
import Foundation
import GalleryStore
import ProcessSupport
import Vocabulary

struct FacesEnroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Compute face descriptors from photos and store them for a member.",
        discussion: """
        Each PHOTO (JPEG, PNG, BMP, or a PPM/PGM frame from facegate-tap) must show exactly one face, or --face N must say which one \
        to take (faces are numbered from 0, left to right; `facegate faces check PHOTO` shows \
        them). A photo with no face, or with several and no --face, is refused with a message \
        naming the photo and the count; the other photos are still enrolled. A photo already \
        enrolled for the member (same SHA-256 of the file) is reported and not stored again, so \
        running the same command twice is harmless.

        Stored with each descriptor: the SHA-256 of the photo file, the descriptor model and the \
        detector settings. With several photos a progress line is printed per photo, e.g. \
        "[3/10] obama2.jpg: 1 face, stored (face id 12)", then a summary.

        Exits 1 if any photo was refused or could not be read, 0 otherwise.
        """)

    @Argument(help: "The member the faces belong to.")
    var member: String

    @Argument(help: ArgumentHelp("Photo files of the member.", valueName: "photo"))
    var photos: [String]

    // .unconditional: "--face -1" is a value to refuse with a reason, not an unknown flag "-1".
    @Option(parsing: .unconditional, help: ArgumentHelp("In photos with several faces, enroll face N (0 = leftmost).", valueName: "n"))
    var face: Int?

    @Option(name: .customLong("max-pixels"), parsing: .unconditional,
            help: ArgumentHelp("Refuse photos with more pixels than this, from their header. Default: recognizer.max_photo_pixels (16000000).",
                               valueName: "n"))
    var maxPixels: Int?

    @Flag(help: "Add the member first if there is none of that name.")
    var create = false

    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if let face, face < 0 {
            throw ValidationError("--face \(face): faces are numbered from 0 (the leftmost face).")
        }
        if let maxPixels, maxPixels < 1 { throw ValidationError("--max-pixels \(maxPixels): must be at least 1.") }
    }

    enum Outcome {
        case stored(String)
        case duplicate(String)
        case refused(String)

        var line: String {
            switch self {
            case let .stored(s), let .duplicate(s), let .refused(s): s
            }
        }
    }

    func run() throws {
        let configuration: FacegateConfiguration, store: GalleryStore
        do {
            (configuration, store) = try options.openStore(creating: create)
        } catch AdminError.noDatabase where !create {
            throw AdminError.unknownMember(member, hint: Self.createHint(member))
        }
        var memberName: String?
        do {
            memberName = try store.member(named: member).name
        } catch GalleryStoreError.unknownMember {
            guard create else {
                throw AdminError.unknownMember(member, hint: Self.createHint(member))
            }
        }
        let limit = PhotoSizeLimit(maxPixels: maxPixels ?? configuration.recognizer.maxPhotoPixels)
        var analyzer: PhotoAnalyzer?
        var counts = (stored: 0, duplicate: 0, refused: 0)
        for (index, photo) in photos.enumerated() {
            let outcome: Outcome
            do {
                outcome = try enroll(photo, memberName: &memberName, store: store, limit: limit) {
                    if let analyzer { return analyzer }
                    let made = try PhotoAnalyzer(settings: configuration.recognizer)
                    analyzer = made
                    return made
                }
            } catch let error as AdminError {
                if case .faceEngine = error, analyzer == nil { throw error } // models missing: nothing can work
                outcome = .refused(error.description)
            }
            switch outcome {
            case .stored: counts.stored += 1
            case .duplicate: counts.duplicate += 1
            case .refused: counts.refused += 1
            }
            if photos.count == 1 {
                if case .refused = outcome { throw AdminError.photoRefused(outcome.line) }
                print(outcome.line)
            } else {
                print("[\(index + 1)/\(photos.count)] \(outcome.line)")
                flushStandardOutput()
            }
        }
        let name = memberName ?? member
        if photos.count > 1 {
            print("\(name): \(counts.stored) stored, \(counts.duplicate) already enrolled, \(counts.refused) refused")
        }
        if counts.refused > 0 {
            throw AdminError.photosNotEnrolled(refused: counts.refused, total: photos.count, member: name)
        }
    }

    private func enroll(_ photo: String, memberName: inout String?, store: GalleryStore, limit: PhotoSizeLimit,
                        analyzer: () throws -> PhotoAnalyzer) throws -> Outcome {
        let bytes = try Self.read(photo)
        try limit.check(photo, bytes: bytes)
        let hash = SHA256.hex(bytes)
        if let memberName, let existing = try store.listFaces(member: memberName).first(where: {
            $0.sourceSHA256 == hash && $0.model == PhotoAnalyzer.modelName
        }) {
            return .duplicate("\(photo): already enrolled for \(memberName) (face id \(existing.id)), not stored again")
        }
        let engine = try analyzer()
        let faces = try engine.faces(inPhoto: photo)
        let count = faces.count == 1 ? "1 face" : "\(faces.count) faces"
        let chosen: PhotoFace
        switch (faces.count, face) {
        case (0, _):
            return .refused("\(photo): 0 faces, refused: no face found")
        case let (n, index?) where index >= n:
            return .refused("\(photo): \(count), refused: --face \(index) but faces are numbered 0 to \(n - 1), left to right")
        case let (_, index?):
            chosen = faces[index]
        case (1, nil):
            chosen = faces[0]
        case let (n, nil):
            return .refused("\(photo): \(n) faces, refused: choose one with --face N (0 to \(n - 1), numbered left to right)")
        }
        if memberName == nil {
            memberName = try store.addMember(name: member).name
            print("added member \(memberName!)")
        }
        let descriptor = chosen.descriptor
        do {
            let record = try store.addFace(member: memberName!, descriptor: descriptor, sourceSHA256: hash,
                                           model: PhotoAnalyzer.modelName, detector: engine.detectorSettings)
            let which = faces.count > 1 ? ", face \(face ?? 0) \(chosen.boxText)" : ""
            return .stored("\(photo): \(count)\(which), stored (face id \(record.id))")
        } catch GalleryStoreError.duplicateFace {
            // The same file given twice on one command line.
            return .duplicate("\(photo): already enrolled for \(memberName!), not stored again")
        }
    }

    static func createHint(_ member: String) -> String {
        "add it with `facegate members add \(member)` or pass --create"
    }

    static let maxPhotoFileBytes = 256 << 20

    static func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AdminError.unreadablePhoto(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw AdminError.unreadablePhoto(path: path, reason: "is a directory, not a photo") }
        // The file is read whole to hash it; a photo is never near this, a mistaken path may be.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maxPhotoFileBytes {
            throw AdminError.unreadablePhoto(path: path, reason: "\(size) bytes is more than a photo file may be (\(maxPhotoFileBytes >> 20) MiB)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AdminError.unreadablePhoto(path: path, reason: "cannot read it (permission denied?)")
        }
        return [UInt8](data)
    }
}
