import ArgumentParser
import FacegateConfig
import Foundation
import ProcessSupport

struct ConfigGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration file.",
        subcommands: [ConfigCheck.self]
    )
}

struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file and print every problem with its line.",
        discussion: """
        Reads FILE as every facegate process would and prints each problem on standard error as \
        FILE:LINE: message (FILE:LINE:COLUMN: for TOML syntax errors), sorted by line, like a \
        compiler, so editors can jump to it. A TOML syntax error stops the parser, so at most one \
        of those is reported; all other problems (unknown keys, values out of range, cameras \
        naming unknown locks, ...) are reported together. Also reads mqtt.password_file if set. \
        A configuration without mqtt.username is refused unless [mqtt] says allow_anonymous = true: \
        on a bus that admits anonymous clients anyone can fake a keypad touch or an unlock.

        Prints "FILE: ok (N cameras, M locks)" and exits 0 when there is nothing to fix; exits 1 \
        otherwise. The processes refuse to start on any problem this reports.
        """
    )

    @Argument(help: ArgumentHelp("The file to check. Default: the --config file.", valueName: "file"))
    var file: String?

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let path = file ?? options.path
        do {
            let configuration = try FacegateConfiguration.load(path: path, requireMQTTLogin: true)
            let cameras = configuration.cameras.count, locks = configuration.locks.count
            print("\(path): ok (\(cameras) camera\(cameras == 1 ? "" : "s"), \(locks) lock\(locks == 1 ? "" : "s"))")
            if configuration.mqtt.allowAnonymous {
                flushStandardOutput()
                FileHandle.standardError.write(Data("\(path): warning: mqtt.allow_anonymous = true: facegate logs in to no one, so the bus must be closed some other way\n".utf8))
            }
        } catch let error as ConfigError {
            // Unreadable file: one line, no "FILE:" prefix naming the file twice.
            if error.problems.count == 1, error.problems[0].line == 0 { throw AdminError.configuration(file: path, error) }
            flushStandardOutput()
            let count = error.problems.count
            FileHandle.standardError.write(Data("\(error.description)\n\(path): \(count) problem\(count == 1 ? "" : "s")\n".utf8))
            throw ExitCode.failure
        }
    }
}
