import FaceEngine
import FacegateConfig
import Foundation

// This file alone sees FaceEngine: its FaceDescriptor and BrokerCore's share a name, so the
// rest of the CLI gets faces as plain values.

/// A face found in a photo, with its descriptor as 128 floats.
struct PhotoFace {
    var left: Int, top: Int, right: Int, bottom: Int
    var quality: Double
    var descriptor: [Float]

    var boxText: String { "(l \(left), t \(top), r \(right), b \(bottom))" }
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
    static let modelName = "dlib_face_recognition_resnet_model_v1"

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
    var detectorSettings: String {
        "\(settings.detector.rawValue) upsample=\(settings.upsample) landmarks=\(settings.landmarks)"
    }

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
            PhotoFace(left: f.face.box.left, top: f.face.box.top, right: f.face.box.right, bottom: f.face.box.bottom,
                      quality: f.face.quality, descriptor: f.descriptor.values)
        }.sorted { ($0.left, $0.top) < ($1.left, $1.top) }
    }
}
