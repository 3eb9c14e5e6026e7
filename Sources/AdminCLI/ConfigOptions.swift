import ArgumentParser
import FacegateConfig
import Foundation
import GalleryStore

/// `--config FILE`, which every command takes, and what commands get from it.
struct ConfigOptions: ParsableArguments {
    static let defaultPath = "/etc/facegate/facegate.toml"

    @Option(name: .long, help: ArgumentHelp(
        "The configuration file. Default: $FACEGATE_CONFIG, else \(ConfigOptions.defaultPath).",
        valueName: "file"))
    var config: String?

    /// The file this invocation uses.
    var path: String {
        if let config { return config }
        if let env = ProcessInfo.processInfo.environment["FACEGATE_CONFIG"], !env.isEmpty { return env }
        return Self.defaultPath
    }

    func load() throws -> FacegateConfiguration {
        do {
            return try FacegateConfiguration.load(path: path)
        } catch let error as ConfigError {
            throw AdminError.configuration(file: path, error)
        }
    }

    /// The configuration and its database. Commands that only read refuse a database that does
    /// not exist yet instead of creating an empty one (possibly owned by the wrong user).
    func openStore(creating: Bool) throws -> (FacegateConfiguration, GalleryStore) {
        let configuration = try load()
        let database = configuration.runtime.database
        if !creating && !FileManager.default.fileExists(atPath: database) {
            throw AdminError.noDatabase(path: database, configFile: path)
        }
        return (configuration, try GalleryStore(path: database))
    }
}
