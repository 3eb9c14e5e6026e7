import Foundation

/// `../shared/faces/reference.json`: what dlib's own Python binding (face_recognition 1.3.0,
/// HOG upsample 1) found in each photo. Boxes are (top, right, bottom, left) in pixels.
public struct ReferenceFaces: Decodable, Sendable {
    public struct Face: Decodable, Sendable {
        public let box_trbl: [Int]
        public let descriptor_5pt: [Float]
        public let descriptor_68pt: [Float]

        public var top: Int { box_trbl[0] }
        public var right: Int { box_trbl[1] }
        public var bottom: Int { box_trbl[2] }
        public var left: Int { box_trbl[3] }
    }

    public struct Photo: Decodable, Sendable {
        public let file: String
        public let width: Int
        public let height: Int
        public let faces: [Face]
    }

    public let generator: String
    public let images: [Photo]

    public static func load() throws -> ReferenceFaces {
        try JSONDecoder().decode(ReferenceFaces.self, from: Data(contentsOf: Paths.face("reference.json")))
    }

    public func photo(_ file: String) -> Photo? { images.first { $0.file == file } }

    /// Who is in each reference face, by photo file and face index (two_people.jpg: Biden
    /// first in the list, Obama second).
    public static func person(file: String, face: Int) -> String {
        if file == "two_people.jpg" { return face == 0 ? "biden" : "obama" }
        for name in ["alex-lacamoire", "lin-manuel-miranda", "biden", "obama"] where file.hasPrefix(name) {
            return name
        }
        return file
    }
}
