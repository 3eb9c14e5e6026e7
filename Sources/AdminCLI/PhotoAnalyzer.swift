import FaceEngine
import FacegateConfig
import Foundation
import Vocabulary

/// A face found in a photo, with its descriptor.
struct PhotoFace {
    var box: FaceBox
    var quality: Double
    var descriptor: FaceDescriptor

    var boxText: String { box.description }
}

/// Finds and describes faces in photo files with the configuration's [recognizer] settings.
///
/// Detection runs on the photo at full resolution (as the reference data was made), except
/// that a photo wider than `maxDetectWidth` is shown to the detector at that width: a 4000 px
/// phone picture upsampled once would cost seconds and a GB for no better face. Landmarks and
/// descriptors always use the full-resolution pixels.
final class PhotoAnalyzer {
    static let maxDetectWidth = 2048
    /// The descriptor network every configuration uses.
    static let modelName = RecognizerSettings.descriptorModel

    let settings: RecognizerSettings
    private let engine: FaceEngine

    init(settings: RecognizerSettings) throws {
        self.settings = settings
        let options = FaceEngineOptions(
            modelsDirectory: settings.modelsDirectory,
            detector: settings.detector == .mmod ? .mmod : .hog,
            upsample: settings.upsample,
            landmarks: settings.landmarks == 68 ? .sixtyEight : .five,
            maxDetectWidth: Self.maxDetectWidth,
            threads: 1)
        do {
            engine = try FaceEngine(options: options)
        } catch {
            throw AdminError.faceEngine("cannot load the face models (recognizer.models_dir = \(settings.modelsDirectory)): \(error)")
        }
    }

    /// How the descriptors were made, stored with each enrolled face: `hog upsample=1 landmarks=5`.
    var detectorSettings: String { settings.detectorDescription }

    /// Every face in the photo, ordered left to right (by the box's left edge, then top).
    func faces(inPhoto path: String) throws -> [PhotoFace] {
        let image: Image
        do {
            image = try Image(contentsOfFile: path)
        } catch let FaceEngineError.imageLoadFailed(_, reason) {
            throw AdminError.unreadablePhoto(path: path, reason: "not a readable JPEG, PNG, BMP, PPM or PGM image (\(reason))")
        }
        let described: [DescribedFace]
        do {
            described = try engine.analyze(image: image)
        } catch {
            throw AdminError.faceEngine("\(path): \(error)")
        }
        return described.map { f in
            PhotoFace(box: f.face.box, quality: f.face.quality, descriptor: f.descriptor)
        }.sorted { ($0.box.left, $0.box.top) < ($1.box.left, $1.box.top) }
    }
}
