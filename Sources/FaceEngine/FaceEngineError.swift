import CDlibShim

/// What went wrong, naming the file, the option or the buffer property at fault.
public enum FaceEngineError: Error, Equatable, CustomStringConvertible {
    case modelsDirectoryMissing(path: String)
    case modelFileMissing(path: String)
    case modelFileInvalid(reason: String)
    case invalidOptions(String)
    case invalidImage(String)
    case imageLoadFailed(path: String, reason: String)
    case outOfMemory
    case engineFailure(String)
    /// The variant of the dlib shim asked for cannot run on this CPU, FACEGATE_SHIM names none,
    /// or its shared object is missing: the reason says which.
    case shimUnavailable(String)

    public var description: String {
        switch self {
        case .modelsDirectoryMissing(let path):
            "models directory \(path) does not exist (run scripts/fetch-models.sh or set recognizer.models_dir)"
        case .modelFileMissing(let path):
            "model file \(path) is missing (run scripts/fetch-models.sh)"
        case .modelFileInvalid(let reason): "model file is unusable: \(reason)"
        case .invalidOptions(let reason): "invalid face engine options: \(reason)"
        case .invalidImage(let reason): "invalid image: \(reason)"
        case .imageLoadFailed(let path, let reason): "cannot load image \(path): \(reason)"
        case .outOfMemory: "out of memory in the face engine"
        case .engineFailure(let reason): "face engine failure: \(reason)"
        case .shimUnavailable(let reason): "dlib shim unavailable: \(reason)"
        }
    }
}

/// Runs one shim call with a message buffer and turns a failure status into a typed error.
enum ShimCall {
    static func run(
        _ call: (UnsafeMutablePointer<CChar>, Int) -> fg_status,
        failure special: (fg_status, String) -> FaceEngineError? = { _, _ in nil }
    ) throws {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
        guard status != FG_OK else { return }
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let error = special(status, message) { throw error }
        switch status {
        case FG_ERR_MODEL_MISSING: throw FaceEngineError.modelFileMissing(path: message)
        case FG_ERR_MODEL_INVALID: throw FaceEngineError.modelFileInvalid(reason: message)
        case FG_ERR_INVALID_ARGUMENT: throw FaceEngineError.invalidOptions(message)
        case FG_ERR_INVALID_IMAGE: throw FaceEngineError.invalidImage(message)
        case FG_ERR_IMAGE_LOAD: throw FaceEngineError.imageLoadFailed(path: "", reason: message)
        case FG_ERR_OUT_OF_MEMORY: throw FaceEngineError.outOfMemory
        case FG_ERR_SHIM_UNAVAILABLE: throw FaceEngineError.shimUnavailable(message)
        default: throw FaceEngineError.engineFailure(message)
        }
    }
}
