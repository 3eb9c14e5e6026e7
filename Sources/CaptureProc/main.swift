// facegate-capture: one camera's frames, stamped with their capture time, to the broker.
import Foundation

let options: CaptureOptions
do {
    options = try CaptureOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch CaptureOptionsError.helpRequested {
    print(CaptureOptions.usage)
    exit(0)
} catch {
    FileHandle.standardError.write(Data("facegate-capture: \(error)\n\n\(CaptureOptions.usage)\n".utf8))
    exit(2)
}
exit(CaptureProcess(options: options).run())
