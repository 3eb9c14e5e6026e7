import Foundation
import TestSupport

/// `../shared/faces/reference.json`: what dlib's Python binding (face_recognition 1.3.0,
/// HOG upsample 1) found in each photo. Boxes are (top, right, bottom, left).
struct ReferenceData: Decodable {
    struct Face: Decodable {
        let box_trbl: [Int]
        let descriptor_5pt: [Float]
        let descriptor_68pt: [Float]

        var top: Int { box_trbl[0] }
        var right: Int { box_trbl[1] }
        var bottom: Int { box_trbl[2] }
        var left: Int { box_trbl[3] }
    }

    struct Photo: Decodable {
        let file: String
        let width: Int
        let height: Int
        let faces: [Face]
    }

    let generator: String
    let images: [Photo]

    static func load() throws -> ReferenceData {
        let data = try Data(contentsOf: Paths.face("reference.json"))
        return try JSONDecoder().decode(ReferenceData.self, from: data)
    }

    /// Who is in each reference face, by photo file and face index (two_people.jpg: Biden
    /// left in the list, Obama second), for checking same/different-person distances.
    static func person(file: String, face: Int) -> String {
        if file == "two_people.jpg" { return face == 0 ? "biden" : "obama" }
        for name in ["alex-lacamoire", "lin-manuel-miranda", "biden", "obama"] where file.hasPrefix(name) {
            return name
        }
        return file
    }
}
