import BrokerCore
import Vocabulary

/// Why the demo could not be played (exit status 2) or was cut short (130). A wrong outcome is
/// not an error: it is reported as FAILED lines and exit status 1.
enum DemoError: Error, CustomStringConvertible {
    case badTimeScale(String)
    case badResumeTime(Double)
    case badLiveness(String)
    case missingExecutable(path: String)
    case missingModel(path: String)
    case missingTool(name: String, searched: [String])
    case noSamplePhoto(facesDirectory: String, fallback: String)
    case noFaceInPhoto(path: String)
    case unreadablePNG(path: String)
    case commandFailed(command: String, status: Int32, output: String)
    case notReady(process: String, waitedFor: String, seconds: Double, logTail: String)
    case exitedEarly(process: String, waitedFor: String, status: Int32, logTail: String)
    case story(String)
    case interrupted

    var description: String {
        switch self {
        case let .badTimeScale(text):
            "time scale \(text) (--time-scale or DEMO_TIME_SCALE): give a number from 0.25 to 2"
        case let .badResumeTime(t):
            "--resume-at \(Console.number(t)): give a story second from 16.5 (after DC006's keypad timed out at @16) to 60"
        case let .badLiveness(text):
            "--dc001-liveness \(text): give one of " + LivenessCheck.allCases.map(\.rawValue).joined(separator: ", ")
        case let .missingExecutable(path):
            "\(path) is missing: build first (make build, or make demo which builds)"
        case let .missingModel(path):
            "model \(path) is missing: run scripts/fetch-models.sh (make demo does)"
        case let .missingTool(name, searched):
            "\(name) is not installed (looked in \(searched.joined(separator: ", "))): run scripts/setup.sh"
        case let .noSamplePhoto(dir, fallback):
            "no sample photo: \(dir) has no obama.jpg and obama2.jpg, and \(fallback) is missing "
                + "(apt-get install python3-skimage, or run scripts/setup.sh)"
        case let .noFaceInPhoto(path):
            "cannot find a face in \(path)"
        case let .unreadablePNG(path):
            "\(path) is not a PNG file whose size can be read"
        case let .commandFailed(command, status, output):
            "\(command) exited with status \(status)" + (output.isEmpty ? "" : ":\n\(output)")
        case let .notReady(process, text, seconds, tail):
            "\(process) did not log within \(Int(seconds)) s: \(text)\n\(tail)"
        case let .exitedEarly(process, text, status, tail):
            "\(process) exited (status \(status)) before it logged: \(text)\n\(tail)"
        case let .story(text):
            text
        case .interrupted:
            "interrupted"
        }
    }
}
