#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ProcessSupport
import Synchronization
import WireProtocol

/// The kernel's word on who is at the other end of a Unix socket (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    public var description: String { "pid=\(pid) uid=\(uid)" }
}

/// A connected or listening AF_UNIX stream socket. Owns its descriptor.
///
/// The descriptor number never changes while the object lives: `close()` only shuts the
/// socket down (which wakes any thread blocked in recv, accept or poll on it), and the number
/// is given back to the kernel in `deinit`, when no thread can be using it any more. Closing
/// it earlier would let a reader still holding the number read from whatever file the
/// kernel hands that number to next.
public final class UnixSocket: Sendable {
    public let fd: Int32
    public let path: String
    private let closed = Atomic<Bool>(false)

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { Glibc.close(fd) }

    /// Binds and listens on `path` with `mode` (0600 by default: only our own uid, and root,
    /// can connect). A socket file left behind by a dead process is replaced; one that a live
    /// process still serves is an error, so two brokers never split the cameras between them.
    public static func listen(path: String, mode: mode_t = 0o600, backlog: Int32 = 64) throws -> UnixSocket {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw WireError.socket(operation: "refusing to replace non-socket", errno: EEXIST, path: path)
            }
            if let probe = try? UnixSocket.connect(path: path) {
                probe.close()
                throw WireError.addressInUse(path: path)
            }
            unlink(path)
        }
        let fd = try makeSocket(path)
        let socket = UnixSocket(fd: fd, path: path)
        // Create the file with no permissions at all, then open it up to `mode`: there is no
        // moment at which another user could connect. Linux gives the file bind() creates the
        // socket inode's mode (less the umask), so setting that mode first does it without
        // touching the umask, which is the whole process's and would race every thread
        // creating files meanwhile.
        guard fchmod(fd, 0) == 0 else { throw WireError.socket(operation: "fchmod", errno: errno, path: path) }
        try withAddress(path) { addr, len in
            guard bind(fd, addr, len) == 0 else { throw WireError.socket(operation: "bind", errno: errno, path: path) }
        }
        guard chmod(path, mode) == 0 else { throw WireError.socket(operation: "chmod", errno: errno, path: path) }
        guard Glibc.listen(fd, backlog) == 0 else { throw WireError.socket(operation: "listen", errno: errno, path: path) }
        return socket
    }

    public static func connect(path: String) throws -> UnixSocket {
        let fd = try makeSocket(path)
        let socket = UnixSocket(fd: fd, path: path)
        try withAddress(path) { addr, len in
            while Glibc.connect(fd, addr, len) != 0 {
                if errno == EINTR { continue }
                throw WireError.socket(operation: "connect", errno: errno, path: path)
            }
        }
        return socket
    }

    /// Blocks until a peer connects. Throws once the socket is closed.
    public func accept() throws -> UnixSocket {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                return UnixSocket(fd: client, path: path)
            }
            if errno == EINTR || errno == ECONNABORTED { continue }
            throw WireError.socket(operation: "accept", errno: errno, path: path)
        }
    }

    public func peerCredentials() throws -> PeerCredentials {
        // struct ucred (pid_t, uid_t, gid_t); Glibc only exports it under _GNU_SOURCE.
        var cred = (pid: Int32(0), uid: UInt32(0), gid: UInt32(0))
        var len = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else {
            throw WireError.socket(operation: "SO_PEERCRED", errno: errno, path: path)
        }
        return PeerCredentials(pid: cred.pid, uid: cred.uid, gid: cred.gid)
    }

    /// Send timeout: a peer that stops reading (SIGSTOP, a hang) makes our send fail after
    /// this long instead of blocking the sender forever.
    public func setSendTimeout(seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func setReceiveTimeout(seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Waits until a read would not block (data, EOF or an error) or until `deadline`
    /// (CLOCK_MONOTONIC ns); false when the deadline passed first.
    public func waitReadable(until deadline: UInt64) throws -> Bool {
        while true {
            let now = MonotonicClock.nowNanoseconds()
            guard now < deadline else { return false }
            let milliseconds = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let n = poll(&pfd, 1, milliseconds)
            if n > 0 { return true }
            if n == 0 { continue }
            if errno == EINTR { continue }
            throw WireError.socket(operation: "poll", errno: errno, path: path)
        }
    }

    /// Bytes the peer sent that nobody has read yet (FIONREAD); 0 when closed.
    public var pendingByteCount: Int {
        var count: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }

    /// Reads what is available (blocking until something is). 0 means EOF.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw WireError.timedOut(operation: "receive") }
            throw WireError.socket(operation: "recv", errno: errno, path: path)
        }
    }

    /// Writes all of `parts` (gathered, no copy) or throws.
    public func writeAll(_ parts: [UnsafeRawBufferPointer]) throws {
        var iovecs = parts.filter { $0.count > 0 }.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
        var index = 0
        while index < iovecs.count {
            let n = iovecs[index...].withUnsafeBufferPointer { buf -> Int in
                var msg = msghdr()
                msg.msg_iov = UnsafeMutablePointer(mutating: buf.baseAddress)
                msg.msg_iovlen = buf.count
                return sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw WireError.timedOut(operation: "send") }
                throw WireError.socket(operation: "send", errno: errno, path: path)
            }
            var sent = n
            while sent > 0 && index < iovecs.count {
                if sent >= iovecs[index].iov_len {
                    sent -= iovecs[index].iov_len
                    index += 1
                } else {
                    iovecs[index].iov_base = iovecs[index].iov_base.map { $0 + sent }
                    iovecs[index].iov_len -= sent
                    sent = 0
                }
            }
        }
    }

    public func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll([$0]) }
    }

    /// Wakes any thread blocked in read/accept/poll on this socket and ends the connection
    /// (the peer sees EOF); the descriptor itself is released in `deinit`.
    public func close() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        shutdown(fd, Int32(SHUT_RDWR))
    }

    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    public func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    private static func makeSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw WireError.socket(operation: "socket", errno: errno, path: path) }
        return fd
    }

    private static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) throws -> R {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw WireError.socket(operation: "socket path too long (max 107 bytes)", errno: ENAMETOOLONG, path: path)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        return try withUnsafePointer(to: &addr) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, len) }
        }
    }
}
