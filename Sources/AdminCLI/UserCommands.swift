import ArgumentParser
import Foundation
import GalleryStore
import HummingbirdBcrypt

struct UsersGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add, list and remove the web console's accounts (facegate-web).",
        discussion: """
        An account has a role: `viewer` sees the console's pages, `admin` may also change \
        members, faces and grants there. Passwords are read from standard input (one line; \
        asked for without echo on a terminal), never from the command line, and stored as \
        bcrypt hashes. Every change here is written to the admin actions with user `cli`.
        """,
        subcommands: [UsersAdd.self, UsersList.self, UsersRemove.self]
    )
}

struct UsersAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a console account; its password is read from standard input.",
        discussion: """
        Example: `printf '%s\\n' "$PASSWORD" | facegate users add alice --role admin`. \
        The password must have at least \(UsersAdd.minimumPasswordLength) characters.
        """)

    static let minimumPasswordLength = 10

    @Argument(help: "The account's name: ASCII letters, digits, '.', '_', '-', '@'.")
    var name: String

    @Option(help: "viewer (look only) or admin (may change members, faces, grants).")
    var role: String = "viewer"

    @Option(help: ArgumentHelp("bcrypt cost (4-31); each step doubles the time a guess takes.", visibility: .hidden))
    var cost: UInt8 = 12

    @OptionGroup var options: ConfigOptions

    func run() throws {
        guard let role = ConsoleRole(rawValue: role) else {
            throw ValidationError("--role must be viewer or admin, got \"\(role)\"")
        }
        guard (4...31).contains(cost) else { throw ValidationError("--cost must be 4 to 31, got \(cost)") }
        let (_, store) = try options.openStore(creating: true)
        let password = try PasswordInput.read(prompt: "password for \(name): ")
        guard password.count >= Self.minimumPasswordLength else {
            throw AdminError.weakPassword("the password has \(password.count) characters; at least \(Self.minimumPasswordLength) are needed")
        }
        let user = try store.addConsoleUser(name: name, role: role, passwordHash: Bcrypt.hash(password, cost: cost))
        try store.recordAdminAction(user: "cli", action: "user.add", detail: "\(user.name) role=\(user.role.rawValue)")
        print("added console user \(user.name) (\(user.role.rawValue))")
    }
}

struct UsersList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List console accounts with their roles.",
        discussion: "With --json: a JSON array of objects with name, role and added (UTC time).")

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let users = try store.listConsoleUsers()
        if json {
            print(Output.json(users.map { ["name": $0.name, "role": $0.role.rawValue, "added": Output.utcTime(wallNs: $0.createdWallNs)] }))
        } else if users.isEmpty {
            print("no console users (add one with `facegate users add NAME --role admin`)")
        } else {
            print(Output.table(["NAME", "ROLE", "ADDED"], users.map { [$0.name, $0.role.rawValue, Output.localTime(wallNs: $0.createdWallNs)] }))
        }
    }
}

struct UsersRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a console account.",
        discussion: "Its open console sessions end at their next request.")

    @Argument(help: "The account's name (case does not matter).")
    var name: String

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (_, store) = try options.openStore(creating: false)
        let user = try store.removeConsoleUser(name: name)
        try store.recordAdminAction(user: "cli", action: "user.remove", detail: user.name)
        print("removed console user \(user.name) (\(user.role.rawValue))")
    }
}

/// A password from standard input: without echo on a terminal, else the first line.
enum PasswordInput {
    static func read(prompt: String) throws -> String {
        let line: String?
        if isatty(STDIN_FILENO) == 1 {
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
            line = readLine(strippingNewline: true)
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        } else {
            line = readLine(strippingNewline: true)
        }
        guard let line else { throw AdminError.weakPassword("no password on standard input") }
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
    }
}
