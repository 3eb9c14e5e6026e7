import FaceEngine
import Foundation
import TestSupport

/// Engines and decoded photos shared by the tests of one run: loading the 68-point model
/// and decoding 17 photos once keeps the suite fast.
enum EngineFixture {
    static let modelsDirectory = Paths.modelsDirectory.path

    /// The settings reference.json was made with: HOG, upsample 1.
    static let fivePoint: Result<FaceEngine, Error> = Result {
        try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, landmarks: .five))
    }
    static let sixtyEightPoint: Result<FaceEngine, Error> = Result {
        try FaceEngine(options: FaceEngineOptions(modelsDirectory: modelsDirectory, landmarks: .sixtyEight))
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var images: [String: Image] = [:]

    static func photo(_ file: String) throws -> Image {
        lock.lock()
        defer { lock.unlock() }
        if let image = images[file] { return image }
        let image = try Image(contentsOfFile: Paths.face(file).path)
        images[file] = image
        return image
    }
}
