import FacegateConfig
import WireProtocol
import WireTransport

extension MessageServer.Options {
    /// The `[runtime]` limits that keep a socket from being starved by stalled or idle peers.
    mutating func applySocketLimits(_ runtime: RuntimeSettings) {
        messageDeadlineSeconds = runtime.messageDeadline
        handshakeTimeoutSeconds = runtime.handshakeTimeout
        maxUnidentified = runtime.maxUnidentifiedPeers
    }
}
