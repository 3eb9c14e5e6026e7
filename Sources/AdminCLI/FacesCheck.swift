import ArgumentParser
import BrokerCore
import FacegateConfig
import Foundation
import GalleryStore
import Vocabulary

struct FacesCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Show, for each face in a photo, the nearest members and what the broker would conclude.",
        discussion: """
        Finds the faces in PHOTO as enrollment does, then for each face (numbered from 0, left to \
        right) prints the --top nearest members with the distance to their nearest enrolled \
        descriptor, and the broker's verdict under the configuration's decision.match_threshold \
        and decision.match_margin: a match (and the locks that member holds grants for), an \
        unknown face, or an ambiguous one. Use it to choose --face for `facegate faces enroll`, \
        to see why a person is not recognized, and to tune the thresholds.

        Nothing is stored. Exits 0 whatever the verdict.
        """)

    @Argument(help: ArgumentHelp("A photo (JPEG, PNG or BMP), or a frame saved by facegate-tap (PPM, PGM or PNG).", valueName: "photo"))
    var photo: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How many nearest members to show per face.", valueName: "n"))
    var top = 3

    @Option(name: .customLong("max-pixels"), parsing: .unconditional,
            help: ArgumentHelp("Refuse a photo with more pixels than this, from its header. Default: recognizer.max_photo_pixels (16000000).",
                               valueName: "n"))
    var maxPixels: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if top < 1 { throw ValidationError("--top \(top): show at least 1 member.") }
        if let maxPixels, maxPixels < 1 { throw ValidationError("--max-pixels \(maxPixels): must be at least 1.") }
    }

    func run() throws {
        let (configuration, store) = try options.openStore(creating: false)
        let gallery = try store.loadGallery().gallery
        try PhotoSizeLimit(maxPixels: maxPixels ?? configuration.recognizer.maxPhotoPixels)
            .check(photo, bytes: try FacesEnroll.read(photo))
        let faces = try PhotoAnalyzer(settings: configuration.recognizer).faces(inPhoto: photo)
        let decision = configuration.decision
        let checks = try faces.map { face in
            try FaceCheck(face: face, gallery: gallery, threshold: decision.matchThreshold, margin: decision.matchMargin)
        }
        if json {
            print(Output.json([
                "photo": photo, "match_threshold": decision.matchThreshold, "match_margin": decision.matchMargin,
                "gallery": ["members": gallery.members.count, "descriptors": gallery.descriptorCount],
                "faces": checks.enumerated().map { $0.element.json(index: $0.offset, top: top) },
            ] as [String: Any]))
            return
        }
        let count = faces.count == 1 ? "1 face" : "\(faces.count) faces"
        print("\(photo): \(count); gallery: \(gallery.members.count) members, \(gallery.descriptorCount) descriptors; "
            + "match_threshold \(decision.matchThreshold), match_margin \(decision.matchMargin)")
        for (index, check) in checks.enumerated() {
            print("face \(index) \(check.face.boxText), quality \(String(format: "%.2f", check.face.quality))")
            let nearest = check.nearest.prefix(top)
            if !nearest.isEmpty {
                print(Output.table(nearest.enumerated().map { i, n in
                    ["   \(i + 1).", n.member.name, Output.distance(n.distance)]
                }))
            }
            print("   => \(check.verdict)")
        }
    }
}

/// One face of a photo compared with the gallery the way the broker compares it.
struct FaceCheck {
    let face: PhotoFace
    /// Every member with descriptors, nearest first, with the distance to their nearest descriptor.
    let nearest: [Nearest]
    let result: MatchResult
    let grants: [LockID]
    let threshold: Double
    let margin: Double

    init(face: PhotoFace, gallery: Gallery, threshold: Double, margin: Double) throws {
        self.face = face
        self.threshold = threshold
        self.margin = margin
        let probe = face.descriptor
        nearest = gallery.members.compactMap { member in
            member.descriptors.map { probe.distance(to: $0) }.min().map { Nearest(member: member.ref, distance: $0) }
        }.sorted { ($0.distance, $0.member.name) < ($1.distance, $1.member.name) }
        result = gallery.match(probe, threshold: threshold, margin: margin)
        if case let .matched(best, _) = result {
            grants = (gallery.member(best.member.id)?.grants ?? []).sorted()
        } else {
            grants = []
        }
    }

    var kind: String {
        switch result {
        case .matched: "match"
        case .unknown: "unknown"
        case .ambiguous: "ambiguous"
        }
    }

    var verdict: String {
        switch result {
        case let .matched(best, runnerUp):
            let next = runnerUp.map { ", next \($0.member.name) at \(Output.distance($0.distance))" } ?? ""
            let locks = grants.isEmpty ? "holds no grants: opens nothing"
                : "may open \(grants.map(\.rawValue).joined(separator: ", ")) when touched"
            return "match: \(best.member.name) at \(Output.distance(best.distance))\(next); \(locks)"
        case let .unknown(nearest?):
            return "unknown face: nearest \(nearest.member.name) at \(Output.distance(nearest.distance)) is above match_threshold \(threshold)"
        case .unknown(nil):
            return "unknown face: no descriptors enrolled"
        case let .ambiguous(best, other):
            return "ambiguous: \(best.member.name) at \(Output.distance(best.distance)) and \(other.member.name) at "
                + "\(Output.distance(other.distance)) are less than match_margin \(margin) apart"
        }
    }

    func json(index: Int, top: Int) -> [String: Any] {
        var object: [String: Any] = [
            "index": index,
            "box": ["left": face.box.left, "top": face.box.top, "right": face.box.right, "bottom": face.box.bottom],
            "quality": face.quality,
            "nearest": nearest.prefix(top).map { ["member": $0.member.name, "distance": $0.distance] as [String: Any] },
            "verdict": kind, "reason": verdict,
        ]
        if case let .matched(best, _) = result {
            object["member"] = best.member.name
            object["distance"] = best.distance
            object["locks"] = grants.map(\.rawValue)
        }
        return object
    }
}
