import FaceEngine
import Foundation
import ProcessSupport
import Vocabulary
import WireProtocol

/// Turns one detect into the message that answers it: a result with the same txn, camera,
/// sequence and capture time, or an error for that txn when the frame cannot be processed.
struct DetectProcessor: Sendable {
    let engine: FaceEngine

    func answer(_ detect: Detect) -> Message {
        let frame = detect.frame
        do {
            let t0 = MonotonicClock.nowNanoseconds()
            var t1 = t0
            let described: [DescribedFace] = try frame.pixels.withUnsafeBytes { pixels in
                let found = try engine.detect(pixels: pixels, format: frame.format, width: Int(frame.width),
                                              height: Int(frame.height), stride: Int(frame.stride))
                t1 = MonotonicClock.nowNanoseconds()
                // Highest detector score first: beyond the wire's limit the weakest go.
                let kept = Array(found.prefix(WireLimits.maxFaces))
                let descriptors = try engine.descriptors(for: kept, pixels: pixels, format: frame.format, width: Int(frame.width),
                                                         height: Int(frame.height), stride: Int(frame.stride))
                return zip(kept, descriptors).map { DescribedFace(face: $0, descriptor: $1) }
            }
            let t2 = MonotonicClock.nowNanoseconds()
            // A box clipped to nothing (a face wholly beyond the edge) is no face the wire admits.
            let faces = described.map(\.detected).filter { $0.box.left <= $0.box.right && $0.box.top <= $0.box.bottom }
            return .result(RecognitionResult(
                txn: detect.txn, camera: frame.camera, sequence: frame.sequence,
                captureMonotonicNs: frame.captureMonotonicNs,
                detectMicros: UInt32(clamping: (t1 - t0) / 1000), descriptorMicros: UInt32(clamping: (t2 - t1) / 1000),
                faces: faces))
        } catch let error as FaceEngineError {
            if case .invalidImage = error {
                return .error(ErrorMessage(code: .invalidFrame, txn: detect.txn, text: error.description))
            }
            return .error(ErrorMessage(code: .internalError, txn: detect.txn, text: error.description))
        } catch {
            return .error(ErrorMessage(code: .internalError, txn: detect.txn, text: "\(error)"))
        }
    }
}
