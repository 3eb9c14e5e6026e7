// facegate-recognizer: frames in from the broker, faces and descriptors out.
import Foundation

let options: RecognizerOptions
do {
    options = try RecognizerOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch RecognizerOptionsError.helpRequested {
    print(RecognizerOptions.usage)
    exit(0)
} catch {
    FileHandle.standardError.write(Data("facegate-recognizer: \(error)\n\n\(RecognizerOptions.usage)\n".utf8))
    exit(2)
}
exit(RecognizerProcess(options: options).run())
