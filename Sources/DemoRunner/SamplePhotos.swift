import Foundation

/// The photos the story uses: one the member is enrolled from, another the camera shows.
/// ../shared/faces has two photos of the same man; without it, scikit-image's astronaut.png
/// (Debian's python3-skimage) is enrolled and the camera shows a mirrored crop of it.
struct SamplePhotos {
    var member: String
    var enrollPhoto: String
    var cameraPhoto: String
    /// How the photos were chosen, for the introduction.
    var note: String
    /// The camera's photo is made from the enrolled one (the astronaut) once the CLI can find
    /// the face in it.
    var isAstronaut: Bool

    static let astronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"

    /// `facesShown` is the faces directory as the user gave it (../shared/faces), for the introduction.
    static func choose(facesDirectory: String, facesShown: String, stateDirectory: String) throws -> SamplePhotos {
        let files = FileManager.default
        let enrolled = facesDirectory + "/obama.jpg", shown = facesDirectory + "/obama2.jpg"
        if files.fileExists(atPath: enrolled), files.fileExists(atPath: shown) {
            return SamplePhotos(member: "obama", enrollPhoto: enrolled, cameraPhoto: shown,
                                note: "\(facesShown): obama.jpg is enrolled, the camera shows obama2.jpg (another photo of him)",
                                isAstronaut: false)
        }
        guard files.fileExists(atPath: astronaut) else {
            throw DemoError.noSamplePhoto(facesDirectory: facesShown, fallback: astronaut)
        }
        let camera = stateDirectory + "/astronaut-camera.jpg"
        return SamplePhotos(member: "astronaut", enrollPhoto: astronaut, cameraPhoto: camera,
                            note: "python3-skimage's astronaut.png is enrolled; the camera shows a mirrored crop of it (\(Console.shown(camera)))",
                            isAstronaut: true)
    }
}
