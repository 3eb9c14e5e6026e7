import Foundation
import ProcessSupport
import WireProtocol
import WireTransport

/// One proxied connection: two pumps, each forwarding bytes unchanged and decoding a copy
/// to print. A stream that cannot be decoded is still forwarded (the tap must never change
/// what the two processes see); only its printing stops.
/// Reason for @unchecked: `names` is guarded by `lock`; the rest is immutable.
final class ProxySession: @unchecked Sendable {
    let client: UnixSocket
    let upstream: UnixSocket
    let printer: TapPrinter
    let stop: StopFlag
    private let lock = NSLock()
    private var names = ["client", "upstream"]

    init(client: UnixSocket, upstream: UnixSocket, printer: TapPrinter, stop: StopFlag) {
        self.client = client; self.upstream = upstream; self.printer = printer; self.stop = stop
    }

    func start() {
        Thread.detachNewThread { self.pump(from: self.client, to: self.upstream, side: 0) }
        Thread.detachNewThread { self.pump(from: self.upstream, to: self.client, side: 1) }
    }

    private func label(_ side: Int) -> String {
        lock.lock(); defer { lock.unlock() }
        return "\(names[side])->\(names[1 - side])"
    }

    private func pump(from source: UnixSocket, to sink: UnixSocket, side: Int) {
        var decoder: FrameDecoder? = FrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        defer {
            // Half-close so the other side sees EOF, then let the other pump finish.
            sink.shutdownWrite()
        }
        while true {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            } catch { return }
            if n == 0 { return }
            // Decoded before forwarding: a hello names its side before the peer can answer it,
            // so what the answer provokes is already printed under the right names.
            var events: [TapEvent] = []
            if decoder != nil {
                do {
                    try buffer.withUnsafeBytes { try decoder!.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                    while let body = decoder!.nextBody() {
                        do {
                            let message = try MessageCodec.decodeBody(body)
                            if case let .hello(h) = message {
                                lock.lock(); names[side] = "\(h.role):\(h.camera.isEmpty ? h.name : h.camera)"; lock.unlock()
                            }
                            events.append(TapEvent(monotonicNs: MonotonicClock.nowNanoseconds(), direction: side == 0 ? .sent : .received,
                                                   peer: label(side), pixelsStripped: false, message: message))
                        } catch {
                            printer.note("\(label(side)): undecodable message (\(error)); forwarding anyway")
                        }
                    }
                } catch {
                    printer.note("\(label(side)): framing lost (\(error)); forwarding without printing")
                    decoder = nil
                }
            }
            do {
                try buffer.withUnsafeBytes { try sink.writeAll([UnsafeRawBufferPointer(rebasing: $0[0..<n])]) }
            } catch { return }
            for event in events where printer.print(event) { stop.stop(); exit(0) }
        }
    }
}
