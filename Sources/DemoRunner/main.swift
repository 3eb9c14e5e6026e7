// facegate-demo: `make demo`, the seed's Test 9 story played on the real processes and narrated.
import ArgumentParser
import Foundation
import ProcessSupport

Log.bootstrap()
do {
    let command = try FacegateDemo.parse()
    exit(DemoRun.run(command))
} catch {
    // --help exits 0 as usual; a bad flag is one more reason the story cannot be played: 2.
    if FacegateDemo.exitCode(for: error) == .success { FacegateDemo.exit(withError: error) }
    Console.error(FacegateDemo.fullMessage(for: error))
    exit(2)
}
