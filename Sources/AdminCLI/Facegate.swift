import ArgumentParser
import FacegateConfig
import Foundation
import GalleryStore
import ProcessSupport

@main
struct Facegate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facegate",
        abstract: "Administer facegate: configuration, members, faces, grants, audit log, broker status.",
        discussion: """
        facegate opens a door lock when the face of an enrolled member who holds a grant for that \
        lock is seen while the lock's keypad is touched. This command manages what the broker \
        decides with: members, their enrolled face descriptors and their grants, all kept in the \
        SQLite database named by runtime.database in the configuration. It also checks \
        configuration files, shows the audit log of every decision, and asks the running broker \
        for its status. Changes to members, faces and grants reach the running broker within a \
        second, without a restart.

        CONFIGURATION
        Every command reads the file given with --config FILE, else the one named by the \
        environment variable FACEGATE_CONFIG, else /etc/facegate/facegate.toml. It finds there \
        the database (runtime.database), the sockets directory (runtime.sockets_dir), the dlib \
        models (recognizer.models_dir), the face detector settings ([recognizer]) and the match \
        thresholds ([decision]). Relative paths in it are relative to its directory.

        EXIT STATUS
          0   success
          1   failed or refused; one line on standard error says what was wrong
          64  wrong command line (unknown option, missing argument)
          69  status: the broker is not running or not answering

        EXAMPLES
          facegate config check /etc/facegate/facegate.toml
          facegate mqtt acl > /etc/mosquitto/facegate.acl
          facegate members add alice
          facegate faces enroll alice alice-1.jpg alice-2.jpg
          facegate grants add alice DC006
          facegate faces check door-snapshot.jpg
          facegate audit tail -n 50 --follow
          facegate status
          facegate users add alice --role admin < password-file
        """,
        version: FacegateVersion.current,
        subcommands: [ConfigGroup.self, MQTTGroup.self, MembersGroup.self, FacesGroup.self, GrantsGroup.self, AuditGroup.self,
                      StatusCommand.self, UsersGroup.self]
    )

    /// Errors this tool can name precisely are printed as one line, `facegate: <what was wrong>`;
    /// only command-line mistakes go through ArgumentParser (message plus usage, exit 64).
    static func main() {
        Log.bootstrap()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as AdminError {
            fail(error.description, code: error.exitCode)
        } catch let error as GalleryStoreError {
            fail(error.description, code: 1)
        } catch let error as ConfigError {
            fail(error.description, code: 1)
        } catch {
            exit(withError: error)
        }
    }

    private static func fail(_ message: String, code: Int32) -> Never {
        flushStandardOutput()
        FileHandle.standardError.write(Data("facegate: \(message)\n".utf8))
        Foundation.exit(code)
    }
}
