/// Splits a byte stream into message bodies, whatever the chunking: feed it bytes as they
/// arrive, take complete bodies out.
///
/// The length prefix is checked against `maxBodyLength` as soon as its four bytes are in,
/// before any allocation for the body, so a hostile "4 GiB follows" costs nothing. Storage
/// then grows with the bytes that actually arrive (doubling, capped at the announced length),
/// never with what was announced: a peer that announces 32 MiB and sends 1 KiB costs about
/// 1 KiB, so many such peers cannot take the process's memory.
public struct FrameDecoder: Sendable {
    public static let defaultMaxBodyLength = 64 << 20

    public let maxBodyLength: Int

    private var header: [UInt8] = []
    private var body: [UInt8] = []
    private var bodyLength: Int? = nil
    private var ready: [[UInt8]] = []
    private var readyIndex = 0
    /// Bodies completed since the decoder was made; tells a reader that a new message began.
    public private(set) var completedBodyCount = 0

    /// The smallest step the body storage grows by: one socket read (256 KiB) should not cost
    /// a dozen reallocations, and a few KiB per stalled peer is no threat.
    static let minimumGrowth = 64 << 10

    public init(maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength) {
        precondition(maxBodyLength >= 1)
        self.maxBodyLength = maxBodyLength
    }

    /// Bytes of an incomplete frame held right now (0 between frames).
    public var bufferedByteCount: Int { header.count + body.count }

    /// The length the current incomplete body announced, once its prefix is in.
    public var announcedBodyLength: Int? { bodyLength }

    /// Bytes of storage held for the incomplete body (for tests of the growth rule).
    public var reservedBodyCapacity: Int { body.capacity }

    /// Appends received bytes. Throws on an announced length of 0 or over the limit; the
    /// decoder is then unusable and the connection must be closed.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        var input = bytes[...]
        while !input.isEmpty {
            if let length = bodyLength {
                let n = min(length - body.count, input.count)
                if body.capacity < body.count + n {
                    body.reserveCapacity(min(length, max(body.count + n, body.capacity * 2, FrameDecoder.minimumGrowth)))
                }
                body.append(contentsOf: input.prefix(n))
                input = input.dropFirst(n)
                if body.count == length {
                    ready.append(body)
                    completedBodyCount += 1
                    body = []
                    bodyLength = nil
                }
            } else {
                let n = min(4 - header.count, input.count)
                header.append(contentsOf: input.prefix(n))
                input = input.dropFirst(n)
                if header.count == 4 {
                    let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
                    header.removeAll(keepingCapacity: true)
                    guard length > 0 else { throw WireError.emptyFrame }
                    guard length <= maxBodyLength else { throw WireError.frameTooLarge(length: length, limit: maxBodyLength) }
                    bodyLength = length
                }
            }
        }
    }

    public mutating func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// The next complete body, or nil when more bytes are needed.
    public mutating func nextBody() -> [UInt8]? {
        guard readyIndex < ready.count else { return nil }
        let next = ready[readyIndex]
        readyIndex += 1
        if readyIndex == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
        }
        return next
    }

    /// The next complete message, decoded; nil when more bytes are needed.
    public mutating func nextMessage() throws -> Message? {
        guard let body = nextBody() else { return nil }
        return try MessageCodec.decodeBody(body)
    }
}
