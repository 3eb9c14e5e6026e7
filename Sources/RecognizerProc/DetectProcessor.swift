import FaceEngine
import Foundation
import ProcessSupport
import WireProtocol

/// Turns one detect into the message that answers it: a result with the same txn, camera,
/// sequence and capture time, or an error for that txn when the frame cannot be processed.
struct DetectProcessor: Sendable {
    let engine: FaceEngine

    func answer(_ detect: Detect) -> Message {
        let frame = detect.frame
        let format: Image.PixelFormat = frame.format == .rgb24 ? .rgb24 : .gray8
        do {
            let t0 = MonotonicClock.nowNanoseconds()
            var t1 = t0
            let described: [(FaceDetection, DescriptorVector)] = try frame.pixels.withUnsafeBytes { pixels in
                let found = try engine.detect(pixels: pixels, format: format, width: Int(frame.width),
                                              height: Int(frame.height), stride: Int(frame.stride))
                t1 = MonotonicClock.nowNanoseconds()
                // Highest detector score first: beyond the wire's limit the weakest go.
                let kept = Array(found.prefix(WireLimits.maxFaces))
                let descriptors = try engine.descriptors(for: kept, pixels: pixels, format: format, width: Int(frame.width),
                                                         height: Int(frame.height), stride: Int(frame.stride))
                return Array(zip(kept, descriptors))
            }
            let t2 = MonotonicClock.nowNanoseconds()
            let faces = described.compactMap { face, descriptor -> DetectedFaceRecord? in
                let b = face.box
                guard b.left <= b.right, b.top <= b.bottom else { return nil }
                return DetectedFaceRecord(box: FaceBox(left: Int32(b.left), top: Int32(b.top), right: Int32(b.right),
                                                       bottom: Int32(b.bottom)),
                                          quality: Float(face.quality), descriptor: descriptor.values)
            }
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
