import FaceEngine
import Foundation
import ProcessSupport
import Vocabulary
import WireProtocol

/// Turns one detect into the message that answers it: a result with the same txn, camera,
/// sequence and capture time, or an error for that txn when the frame cannot be processed.
/// Each face carries its 68-point landmarks when the detect's snapshot asks for them, and
/// only then (they cost a shape fit per face), and always its aligned chip as a JPEG (the
/// broker keeps it with the face's audit row; ~0.1-0.2 ms a face, see JPEGEncoder).
struct DetectProcessor: Sendable {
    let engine: FaceEngine

    struct Answer: Sendable {
        var message: Message
        /// Time spent on the 68-point landmarks; nil when they were not asked for.
        var landmarksMicros: UInt64?
    }

    func answer(_ detect: Detect) -> Answer {
        let frame = detect.frame
        do {
            // Highest detector score first: beyond the wire's limit the weakest go.
            let analysis = try frame.pixels.withUnsafeBytes { pixels in
                try engine.analyze(pixels: pixels, format: frame.format, width: Int(frame.width), height: Int(frame.height),
                                   stride: Int(frame.stride), maxFaces: WireLimits.maxFaces,
                                   landmarks68: detect.snapshot.landmarksWanted, chips: true)
            }
            // A box clipped to nothing (a face wholly beyond the edge) is no face the wire admits.
            let faces = analysis.faces.filter { !$0.face.box.isEmpty }.map { described in
                var face = described.detected
                // A chip that cannot be encoded costs the crop, never the decision.
                face.chip = described.chip.flatMap { try? JPEGEncoder.chip($0) }
                return face
            }
            return Answer(message: .result(RecognitionResult(
                txn: detect.txn, camera: frame.camera, sequence: frame.sequence,
                captureMonotonicNs: frame.captureMonotonicNs,
                detectMicros: UInt32(clamping: analysis.detectMicros), descriptorMicros: UInt32(clamping: analysis.descriptorMicros),
                faces: faces)), landmarksMicros: analysis.landmarksMicros)
        } catch let error as FaceEngineError {
            if case .invalidImage = error {
                return Answer(message: .error(ErrorMessage(code: .invalidFrame, txn: detect.txn, text: error.description)))
            }
            return Answer(message: .error(ErrorMessage(code: .internalError, txn: detect.txn, text: error.description)))
        } catch {
            return Answer(message: .error(ErrorMessage(code: .internalError, txn: detect.txn, text: "\(error)")))
        }
    }
}
