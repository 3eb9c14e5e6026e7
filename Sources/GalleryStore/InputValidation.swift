import BrokerCore

/// Checks on what the CLI passes in, before anything reaches SQL.
enum InputValidation {
    static let maxNameLength = 64
    static let maxLockIDLength = 128
    static let maxFieldLength = 256

    static func memberName(_ name: String) throws -> String {
        func bad(_ reason: String) -> GalleryStoreError { .invalidMemberName(name, reason: reason) }
        guard !name.isEmpty else { throw bad("it is empty") }
        guard name.count <= maxNameLength else { throw bad("longer than \(maxNameLength) characters") }
        guard name.trimmingWhitespace == name else { throw bad("it starts or ends with white space") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw bad("it contains control characters")
        }
        return name
    }

    /// Console account names go into cookies' sessions and audit lines: one plain word.
    static func userName(_ name: String) throws -> String {
        func bad(_ reason: String) -> GalleryStoreError { .invalidUserName(name, reason: reason) }
        guard !name.isEmpty else { throw bad("it is empty") }
        guard name.count <= maxNameLength else { throw bad("longer than \(maxNameLength) characters") }
        guard name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil
                                                               || "._-@".unicodeScalars.contains($0)) }) else {
            throw bad("use only ASCII letters, digits, '.', '_', '-' and '@'")
        }
        return name
    }

    static func lockID(_ lock: String) throws -> LockID {
        func bad(_ reason: String) -> GalleryStoreError { .invalidLockID(lock, reason: reason) }
        guard !lock.isEmpty else { throw bad("it is empty") }
        guard lock.count <= maxLockIDLength else { throw bad("longer than \(maxLockIDLength) characters") }
        guard !lock.unicodeScalars.contains(where: {
            $0.properties.isWhitespace || $0.properties.generalCategory == .control
        }) else { throw bad("it contains white space or control characters") }
        guard !lock.contains(where: { "/#+".contains($0) }) else { throw bad("it contains '/', '#' or '+'") }
        return LockID(lock)
    }

    static func sha256(_ hash: String) throws -> String {
        guard hash.count == 64, hash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw GalleryStoreError.invalidSourceHash(hash)
        }
        return hash
    }

    static func field(_ name: String, _ value: String) throws -> String {
        guard !value.isEmpty else { throw GalleryStoreError.invalidField(name: name, reason: "it is empty") }
        guard value.count <= maxFieldLength else {
            throw GalleryStoreError.invalidField(name: name, reason: "longer than \(maxFieldLength) characters")
        }
        return value
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
