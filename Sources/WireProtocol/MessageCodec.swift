import Vocabulary

/// # facegate wire format, version 3
///
/// Every message travels as one frame on a Unix stream socket:
///
/// ```
///  +--------------------------+------------------------------+
///  | length: u32 big-endian   | body: `length` bytes          |
///  +--------------------------+------------------------------+
///  body = kind: u8, then the fields of that kind, in order, nothing after them.
/// ```
///
/// `length` counts the body only and is at least 1. A receiver checks it against its limit
/// (`FrameDecoder.maxBodyLength`, default 64 MiB) *before* allocating; over the limit the
/// connection is closed. All integers are big-endian; `f32` is an IEEE-754 bit pattern sent
/// as a u32; `str` is a u16 byte count then that many bytes of UTF-8; `text` is the same
/// with a u32 count. `id` is a `str` of 1–64 printable ASCII bytes (0x21–0x7E).
///
/// | kind | name           | fields                                                                |
/// |------|----------------|-----------------------------------------------------------------------|
/// | 0x01 | hello          | version u16, role u8, name str(≤255), pid u32, camera str(≤64, may be empty) |
/// | 0x02 | frame          | FRAME                                                                  |
/// | 0x03 | detect         | txn u64, SNAPSHOT, FRAME                                               |
/// | 0x04 | result         | txn u64, camera id, seq u64, capture_mono_ns u64, detect_us u32, descriptor_us u32, faces u16(≤64), FACE × faces |
/// | 0x05 | credit         | count u32 (1–1024)                                                     |
/// | 0x06 | heartbeat      | mono_ns u64, counters u16(≤256), (name str(1–255), value u64) × counters |
/// | 0x07 | error          | code u16, txn u64 (0 = about the connection), text str(≤4096)          |
/// | 0x08 | tap-subscribe  | kind_mask u32 (bit 1<<kind, 0 = all), flags u8 (bit0 = include pixels), camera str(≤64, empty = all) |
/// | 0x09 | tap-event      | mono_ns u64, direction u8 (1 in, 2 out), peer str(≤255), flags u8 (bit0 = pixels stripped; frame and detect only), inner_len u32 (= bytes left), inner body (any kind but tap-event) |
/// | 0x0A | status-request | (no fields)                                                           |
/// | 0x0B | status-reply   | json text(≤1 MiB)                                                      |
/// | 0x0C | motion         | camera id, flags u8 (bit0 = motion on), camera_wall_ns i64 (0 = unknown), detail str(≤255) |
///
/// ```
/// FRAME    = camera id, seq u64, capture_mono_ns u64, capture_wall_ns i64,
///            format u8 (1 rgb24, 2 gray8), width u32, height u32, stride u32,
///            pixel_len u32, pixels[pixel_len]
///            1 ≤ width, height ≤ 16384; width·bpp ≤ stride ≤ width·bpp + 1024;
///            pixel_len = stride · height (exactly 0 inside a tap-event marked pixels-stripped)
/// SNAPSHOT = capture_mono_ns u64, flags u8 (bit0 = motion trigger open,
///            bit1 = landmarks wanted), sessions u16 (≤256), (session_id u64, lock id) × sessions
/// FACE     = left i32, top i32, right i32, bottom i32 (left ≤ right, top ≤ bottom),
///            quality f32 (finite), dims u16 (= 128), descriptor f32 × 128 (finite),
///            landmarks u8 (0 or 68), (x f32, y f32) × landmarks (finite; frame pixels, may lie
///            outside the frame for a face cut by its edge; dlib's 68-point order),
///            chip_format u8 (0 none, 1 jpeg), and when not 0: width u16, height u16
///            (1–1024 each), chip_len u32 (1–262144), chip[chip_len] (a JPEG starts FF D8 FF)
/// roles    = 1 capture, 2 broker, 3 recognizer, 4 tap, 5 admin, 6 motion (hello.camera set, as for capture)
/// ```
///
/// Unknown kinds, enum values or flag bits, over-long strings, invalid UTF-8, dimensions that
/// disagree with the pixel count, non-finite floats and trailing bytes are all errors
/// (`WireError`, naming the field). Golden byte vectors for each kind are in
/// `Tests/WireProtocolTests/GoldenVectors.swift`.
///
/// History. Version 1 grew by addition only: kind 0x0C and role 6 came later; an older peer
/// refuses them as an unknown kind or role (naming it), and every message it knows keeps its
/// layout, so the version did not change. Version 2 changed a layout: FACE gained its
/// landmarks count and points after the descriptor (a v1 reader would see trailing bytes or
/// misread the next face), and SNAPSHOT's flags gained bit1, which the broker sets for a
/// frame whose faces need landmarks. The hello exchange refuses a peer of any other version
/// (`unsupported-version` error, then close), so a v1 process and a v2 one never exchange
/// frames. Version 3 changed FACE again: the face chip (its format byte, then the encoded
/// picture) follows the landmarks, so the broker can keep a crop of every judged face; a v2
/// peer is refused at hello as a v1 one was.
public enum MessageCodec {
    /// The body of `message` (no length prefix), pixels included.
    public static func encodeBody(_ message: Message) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        let pixels = write(message, into: &w, stripPixels: false)
        pixels?.withUnsafeBytes { w.bytes.append(contentsOf: $0) }
        return w.bytes
    }

    /// Length prefix + body: what goes on the socket.
    public static func encodeFrame(_ message: Message) -> [UInt8] {
        let body = encodeBody(message)
        var w = ByteWriter(capacity: body.count + 4)
        w.u32(UInt32(body.count))
        w.raw(body)
        return w.bytes
    }

    /// The length prefix and every field up to the pixels, and the pixels separately, so a
    /// sender can hand both to writev(2) without copying a megabyte frame.
    public static func encodeParts(_ message: Message) -> (head: [UInt8], pixels: PixelData?) {
        var w = ByteWriter(capacity: 128)
        w.u32(0) // patched below
        let pixels = write(message, into: &w, stripPixels: false)
        let bodyLength = w.bytes.count - 4 + (pixels?.count ?? 0)
        patchLength(&w.bytes, UInt32(bodyLength))
        return (w.bytes, pixels)
    }

    /// A tap event's body, with the inner message's pixels left out when `stripPixels`.
    public static func encodeTapEvent(monotonicNs: UInt64, direction: TapDirection, peer: String,
                                      message: Message, stripPixels: Bool) -> [UInt8] {
        var inner = ByteWriter(capacity: 128)
        let pixels = write(message, into: &inner, stripPixels: stripPixels)
        var w = ByteWriter(capacity: 160 + inner.bytes.count + (pixels?.count ?? 0))
        w.u8(MessageKind.tapEvent.rawValue)
        w.u64(monotonicNs)
        w.u8(direction.rawValue)
        w.string(peer)
        w.u8(stripPixels && message.carriesPixels ? 1 : 0)
        w.u32(UInt32(inner.bytes.count + (pixels?.count ?? 0)))
        w.raw(inner.bytes)
        pixels?.withUnsafeBytes { w.bytes.append(contentsOf: $0) }
        return w.bytes
    }

    private static func patchLength(_ bytes: inout [UInt8], _ length: UInt32) {
        bytes[0] = UInt8(length >> 24); bytes[1] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8); bytes[3] = UInt8(truncatingIfNeeded: length)
    }

    /// Writes kind + fields; returns the pixels still to be appended (nil when none).
    private static func write(_ message: Message, into w: inout ByteWriter, stripPixels: Bool) -> PixelData? {
        w.u8(message.kind.rawValue)
        switch message {
        case let .hello(h):
            w.u16(h.version); w.u8(h.role.rawValue); w.string(h.name); w.u32(h.pid); w.string(h.camera)
            return nil
        case let .frame(f):
            return writeFrame(f, into: &w, stripPixels: stripPixels)
        case let .detect(d):
            w.u64(d.txn)
            writeSnapshot(d.snapshot, into: &w)
            return writeFrame(d.frame, into: &w, stripPixels: stripPixels)
        case let .result(r):
            w.u64(r.txn); w.string(r.camera); w.u64(r.sequence); w.u64(r.captureMonotonicNs)
            w.u32(r.detectMicros); w.u32(r.descriptorMicros)
            w.u16(UInt16(clamping: r.faces.count))
            for face in r.faces {
                // Boxes come from frames of at most `maxDimension` pixels: far inside Int32.
                w.i32(Int32(clamping: face.box.left)); w.i32(Int32(clamping: face.box.top))
                w.i32(Int32(clamping: face.box.right)); w.i32(Int32(clamping: face.box.bottom))
                w.f32(face.quality)
                w.u16(UInt16(clamping: face.descriptor.values.count))
                for v in face.descriptor.values { w.f32(v) }
                if let landmarks = face.landmarks {
                    w.u8(UInt8(clamping: landmarks.points.count))
                    for p in landmarks.points { w.f32(p.x); w.f32(p.y) }
                } else {
                    w.u8(0)
                }
                if let chip = face.chip {
                    // Chips come from the recognizer's encoder: within the limits the reader checks.
                    w.u8(chip.format.rawValue)
                    w.u16(UInt16(clamping: chip.width)); w.u16(UInt16(clamping: chip.height))
                    w.u32(UInt32(clamping: chip.bytes.count))
                    w.raw(chip.bytes)
                } else {
                    w.u8(0)
                }
            }
            return nil
        case let .credit(c):
            w.u32(c.count)
            return nil
        case let .heartbeat(h):
            w.u64(h.monotonicNs)
            w.u16(UInt16(clamping: h.counters.count))
            for c in h.counters { w.string(c.name); w.u64(c.value) }
            return nil
        case let .error(e):
            w.u16(e.code.rawValue); w.u64(e.txn); w.string(e.text)
            return nil
        case let .tapSubscribe(s):
            w.u32(s.kindMask); w.u8(s.includePixels ? 1 : 0); w.string(s.camera)
            return nil
        case let .tapEvent(e):
            // Re-encoding a received tap event (the proxy does this) keeps it as it was.
            let body = encodeTapEvent(monotonicNs: e.monotonicNs, direction: e.direction, peer: e.peer,
                                      message: e.message, stripPixels: e.pixelsStripped)
            w.bytes.removeLast()
            w.raw(body)
            return nil
        case .statusRequest:
            return nil
        case let .statusReply(s):
            w.longString(s.json)
            return nil
        case let .motion(m):
            w.string(m.camera); w.u8(m.active ? 1 : 0); w.i64(m.cameraWallNs); w.string(m.detail)
            return nil
        }
    }

    private static func writeFrame(_ f: VideoFrame, into w: inout ByteWriter, stripPixels: Bool) -> PixelData? {
        w.string(f.camera); w.u64(f.sequence); w.u64(f.captureMonotonicNs); w.i64(f.captureWallNs)
        w.u8(f.format.rawValue); w.u32(f.width); w.u32(f.height); w.u32(f.stride)
        if stripPixels {
            w.u32(0)
            return nil
        }
        w.u32(UInt32(f.pixels.count))
        return f.pixels
    }

    private static func writeSnapshot(_ s: Snapshot, into w: inout ByteWriter) {
        w.u64(s.captureMonotonicNs)
        w.u8((s.motion ? 1 : 0) | (s.landmarksWanted ? 2 : 0))
        w.u16(UInt16(clamping: s.sessions.count))
        for session in s.sessions { w.u64(session.sessionID); w.string(session.lock) }
    }

    // MARK: Decoding

    /// Decodes one body (as yielded by `FrameDecoder`). Throws `WireError` naming the first
    /// field that is wrong; never traps on any input.
    public static func decodeBody(_ body: [UInt8]) throws -> Message {
        var r = ByteReader(body)
        let message = try readMessage(&r, allowStrippedPixels: false, nested: false)
        try r.expectEnd(kind: message.kind.description)
        return message
    }

    private static func readMessage(_ r: inout ByteReader, allowStrippedPixels: Bool, nested: Bool) throws -> Message {
        let rawKind = try r.u8("kind")
        guard let kind = MessageKind(rawValue: rawKind) else { throw WireError.unknownKind(rawKind) }
        switch kind {
        case .hello:
            let version = try r.u16("hello.version")
            let rawRole = try r.u8("hello.role")
            guard let role = PeerRole(rawValue: rawRole) else {
                throw WireError.invalidField(field: "hello.role", reason: "unknown role \(rawRole)")
            }
            let name = try r.string("hello.name", maxBytes: WireLimits.maxNameBytes)
            let pid = try r.u32("hello.pid")
            let camera = try r.string("hello.camera", maxBytes: WireLimits.maxIdentifierBytes)
            if !camera.isEmpty { try validateIdentifier(camera, "hello.camera") }
            return .hello(Hello(version: version, role: role, name: name, pid: pid, camera: camera))
        case .frame:
            return .frame(try readFrame(&r, "frame", allowStrippedPixels: allowStrippedPixels))
        case .detect:
            let txn = try r.u64("detect.txn")
            let snapshot = try readSnapshot(&r)
            let frame = try readFrame(&r, "detect.frame", allowStrippedPixels: allowStrippedPixels)
            return .detect(Detect(txn: txn, snapshot: snapshot, frame: frame))
        case .result:
            return .result(try readResult(&r))
        case .credit:
            let count = try r.u32("credit.count")
            guard count >= 1 && count <= WireLimits.maxCredit else {
                throw WireError.invalidField(field: "credit.count", reason: "\(count) not in 1...\(WireLimits.maxCredit)")
            }
            return .credit(Credit(count: count))
        case .heartbeat:
            let mono = try r.u64("heartbeat.mono_ns")
            let count = Int(try r.u16("heartbeat.counters"))
            guard count <= WireLimits.maxCounters else {
                throw WireError.invalidField(field: "heartbeat.counters", reason: "\(count) exceeds \(WireLimits.maxCounters)")
            }
            var counters: [Counter] = []
            counters.reserveCapacity(count)
            for i in 0..<count {
                let name = try r.string("heartbeat.counter[\(i)].name", maxBytes: WireLimits.maxNameBytes)
                guard !name.isEmpty else { throw WireError.invalidField(field: "heartbeat.counter[\(i)].name", reason: "empty") }
                counters.append(Counter(name, try r.u64("heartbeat.counter[\(i)].value")))
            }
            return .heartbeat(Heartbeat(monotonicNs: mono, counters: counters))
        case .error:
            let rawCode = try r.u16("error.code")
            guard let code = ErrorCode(rawValue: rawCode) else {
                throw WireError.invalidField(field: "error.code", reason: "unknown code \(rawCode)")
            }
            let txn = try r.u64("error.txn")
            let text = try r.string("error.text", maxBytes: WireLimits.maxMessageTextBytes)
            return .error(ErrorMessage(code: code, txn: txn, text: text))
        case .tapSubscribe:
            let mask = try r.u32("tap-subscribe.kind_mask")
            let flags = try r.u8("tap-subscribe.flags")
            guard flags & ~1 == 0 else {
                throw WireError.invalidField(field: "tap-subscribe.flags", reason: "unknown bits 0x\(String(flags, radix: 16))")
            }
            let camera = try r.string("tap-subscribe.camera", maxBytes: WireLimits.maxIdentifierBytes)
            if !camera.isEmpty { try validateIdentifier(camera, "tap-subscribe.camera") }
            return .tapSubscribe(TapSubscribe(kindMask: mask, includePixels: flags & 1 != 0, camera: camera))
        case .tapEvent:
            guard !nested else { throw WireError.invalidField(field: "tap-event.inner", reason: "tap events do not nest") }
            let mono = try r.u64("tap-event.mono_ns")
            let rawDirection = try r.u8("tap-event.direction")
            guard let direction = TapDirection(rawValue: rawDirection) else {
                throw WireError.invalidField(field: "tap-event.direction", reason: "unknown direction \(rawDirection)")
            }
            let peer = try r.string("tap-event.peer", maxBytes: WireLimits.maxNameBytes)
            let flags = try r.u8("tap-event.flags")
            guard flags & ~1 == 0 else {
                throw WireError.invalidField(field: "tap-event.flags", reason: "unknown bits 0x\(String(flags, radix: 16))")
            }
            let innerLength = Int(try r.u32("tap-event.inner_len"))
            guard innerLength == r.remaining else {
                throw WireError.invalidField(field: "tap-event.inner_len", reason: "\(innerLength) but \(r.remaining) bytes follow")
            }
            let inner = try readMessage(&r, allowStrippedPixels: flags & 1 != 0, nested: true)
            // One encoding per event: the stripped flag only on frame-carrying messages.
            if flags & 1 != 0 && !inner.carriesPixels {
                throw WireError.invalidField(field: "tap-event.flags", reason: "pixels stripped from a \(inner.kind), which has none")
            }
            return .tapEvent(TapEvent(monotonicNs: mono, direction: direction, peer: peer,
                                      pixelsStripped: flags & 1 != 0, message: inner))
        case .statusRequest:
            return .statusRequest
        case .statusReply:
            return .statusReply(StatusReply(json: try r.longString("status-reply.json", maxBytes: WireLimits.maxStatusBytes)))
        case .motion:
            let camera = try r.string("motion.camera", maxBytes: WireLimits.maxIdentifierBytes)
            try validateIdentifier(camera, "motion.camera")
            let flags = try r.u8("motion.flags")
            guard flags & ~1 == 0 else {
                throw WireError.invalidField(field: "motion.flags", reason: "unknown bits 0x\(String(flags, radix: 16))")
            }
            let wall = try r.i64("motion.camera_wall_ns")
            let detail = try r.string("motion.detail", maxBytes: WireLimits.maxNameBytes)
            return .motion(MotionReport(camera: camera, active: flags & 1 != 0, cameraWallNs: wall, detail: detail))
        }
    }

    private static func readFrame(_ r: inout ByteReader, _ name: String, allowStrippedPixels: Bool) throws -> VideoFrame {
        let camera = try r.string("\(name).camera", maxBytes: WireLimits.maxIdentifierBytes)
        try validateIdentifier(camera, "\(name).camera")
        let seq = try r.u64("\(name).seq")
        let mono = try r.u64("\(name).capture_mono_ns")
        let wall = try r.i64("\(name).capture_wall_ns")
        let rawFormat = try r.u8("\(name).format")
        guard let format = PixelFormat(rawValue: rawFormat) else {
            throw WireError.invalidField(field: "\(name).format", reason: "unknown pixel format \(rawFormat)")
        }
        let width = try r.u32("\(name).width")
        let height = try r.u32("\(name).height")
        let stride = try r.u32("\(name).stride")
        let pixelLength = try r.u32("\(name).pixel_len")
        guard (1...WireLimits.maxDimension).contains(width) else {
            throw WireError.invalidField(field: "\(name).width", reason: "\(width) not in 1...\(WireLimits.maxDimension)")
        }
        guard (1...WireLimits.maxDimension).contains(height) else {
            throw WireError.invalidField(field: "\(name).height", reason: "\(height) not in 1...\(WireLimits.maxDimension)")
        }
        let rowBytes = UInt64(width) * UInt64(format.bytesPerPixel)
        guard UInt64(stride) >= rowBytes && UInt64(stride) <= rowBytes + 1024 else {
            throw WireError.invalidField(field: "\(name).stride", reason: "\(stride) for \(width) px of \(format) (needs \(rowBytes)...\(rowBytes + 1024))")
        }
        let expected = UInt64(stride) * UInt64(height)
        if allowStrippedPixels {
            guard pixelLength == 0 else {
                throw WireError.invalidField(field: "\(name).pixel_len", reason: "\(pixelLength) in a copy marked pixels-stripped")
            }
        } else {
            guard UInt64(pixelLength) == expected else {
                throw WireError.invalidField(field: "\(name).pixel_len", reason: "\(pixelLength) but stride × height = \(expected)")
            }
        }
        let range = try r.range(Int(pixelLength), "\(name).pixels")
        return VideoFrame(camera: camera, sequence: seq, captureMonotonicNs: mono, captureWallNs: wall, format: format,
                          width: width, height: height, stride: stride, pixels: PixelData(slice: r.bytes[range]))
    }

    private static func readSnapshot(_ r: inout ByteReader) throws -> Snapshot {
        let mono = try r.u64("detect.snapshot.capture_mono_ns")
        let flags = try r.u8("detect.snapshot.flags")
        guard flags & ~3 == 0 else {
            throw WireError.invalidField(field: "detect.snapshot.flags", reason: "unknown bits 0x\(String(flags, radix: 16))")
        }
        let count = Int(try r.u16("detect.snapshot.sessions"))
        guard count <= WireLimits.maxSnapshotSessions else {
            throw WireError.invalidField(field: "detect.snapshot.sessions", reason: "\(count) exceeds \(WireLimits.maxSnapshotSessions)")
        }
        var sessions: [SnapshotSession] = []
        sessions.reserveCapacity(count)
        for i in 0..<count {
            let id = try r.u64("detect.snapshot.session[\(i)].id")
            let lock = try r.string("detect.snapshot.session[\(i)].lock", maxBytes: WireLimits.maxIdentifierBytes)
            try validateIdentifier(lock, "detect.snapshot.session[\(i)].lock")
            sessions.append(SnapshotSession(sessionID: id, lock: lock))
        }
        return Snapshot(captureMonotonicNs: mono, motion: flags & 1 != 0, sessions: sessions, landmarksWanted: flags & 2 != 0)
    }

    private static func readResult(_ r: inout ByteReader) throws -> RecognitionResult {
        let txn = try r.u64("result.txn")
        let camera = try r.string("result.camera", maxBytes: WireLimits.maxIdentifierBytes)
        try validateIdentifier(camera, "result.camera")
        let seq = try r.u64("result.seq")
        let mono = try r.u64("result.capture_mono_ns")
        let detectMicros = try r.u32("result.detect_us")
        let descriptorMicros = try r.u32("result.descriptor_us")
        let count = Int(try r.u16("result.faces"))
        guard count <= WireLimits.maxFaces else {
            throw WireError.invalidField(field: "result.faces", reason: "\(count) exceeds \(WireLimits.maxFaces)")
        }
        var faces: [DetectedFace] = []
        faces.reserveCapacity(count)
        for i in 0..<count {
            let f = "result.face[\(i)]"
            let box = FaceBox(left: Int(try r.i32("\(f).left")), top: Int(try r.i32("\(f).top")),
                              right: Int(try r.i32("\(f).right")), bottom: Int(try r.i32("\(f).bottom")))
            guard !box.isEmpty else {
                throw WireError.invalidField(field: "\(f).box", reason: "left/top beyond right/bottom")
            }
            let quality = try r.f32("\(f).quality")
            guard quality.isFinite else { throw WireError.invalidField(field: "\(f).quality", reason: "not finite") }
            let dims = Int(try r.u16("\(f).dims"))
            guard dims == WireLimits.descriptorLength else {
                throw WireError.invalidField(field: "\(f).dims", reason: "\(dims), must be \(WireLimits.descriptorLength)")
            }
            var descriptor = [Float](repeating: 0, count: dims)
            for k in 0..<dims {
                let v = try r.f32("\(f).descriptor[\(k)]")
                guard v.isFinite else { throw WireError.invalidField(field: "\(f).descriptor[\(k)]", reason: "not finite") }
                descriptor[k] = v
            }
            let pointCount = Int(try r.u8("\(f).landmarks"))
            guard pointCount == 0 || pointCount == WireLimits.landmarkCount else {
                throw WireError.invalidField(field: "\(f).landmarks", reason: "\(pointCount), must be 0 or \(WireLimits.landmarkCount)")
            }
            var points: [LandmarkPoint] = []
            points.reserveCapacity(pointCount)
            for k in 0..<pointCount {
                let x = try r.f32("\(f).landmark[\(k)].x")
                guard x.isFinite else { throw WireError.invalidField(field: "\(f).landmark[\(k)].x", reason: "not finite") }
                let y = try r.f32("\(f).landmark[\(k)].y")
                guard y.isFinite else { throw WireError.invalidField(field: "\(f).landmark[\(k)].y", reason: "not finite") }
                points.append(LandmarkPoint(x: x, y: y))
            }
            let chip = try readChip(&r, f)
            // Checked value by value above, so the field named in an error is exact.
            faces.append(DetectedFace(box: box, quality: quality, descriptor: try FaceDescriptor(descriptor),
                                      landmarks: pointCount == 0 ? nil : try FaceLandmarks(points), chip: chip))
        }
        return RecognitionResult(txn: txn, camera: camera, sequence: seq, captureMonotonicNs: mono,
                                 detectMicros: detectMicros, descriptorMicros: descriptorMicros, faces: faces)
    }

    private static func readChip(_ r: inout ByteReader, _ f: String) throws -> FaceChip? {
        let rawFormat = try r.u8("\(f).chip_format")
        if rawFormat == 0 { return nil }
        guard let format = FaceChip.Format(rawValue: rawFormat) else {
            throw WireError.invalidField(field: "\(f).chip_format", reason: "unknown chip format \(rawFormat)")
        }
        let width = Int(try r.u16("\(f).chip.width"))
        let height = Int(try r.u16("\(f).chip.height"))
        for (name, side) in [("width", width), ("height", height)] where !(1...FaceChip.maxSide).contains(side) {
            throw WireError.invalidField(field: "\(f).chip.\(name)", reason: "\(side) not in 1...\(FaceChip.maxSide)")
        }
        let length = Int(try r.u32("\(f).chip_len"))
        guard (1...FaceChip.maxBytes).contains(length) else {
            throw WireError.invalidField(field: "\(f).chip_len", reason: "\(length) not in 1...\(FaceChip.maxBytes)")
        }
        let range = try r.range(length, "\(f).chip")
        let bytes = Array(r.bytes[range])
        // Only the signature: the broker stores the bytes, the browser decodes them.
        guard bytes.starts(with: [0xff, 0xd8, 0xff]) else {
            throw WireError.invalidField(field: "\(f).chip", reason: "a jpeg chip that does not start FF D8 FF")
        }
        return FaceChip(format: format, width: width, height: height, bytes: bytes)
    }

    /// Identifiers end up in log lines, topics and file names: printable ASCII, no spaces.
    static func validateIdentifier(_ s: String, _ field: String) throws {
        guard !s.isEmpty else { throw WireError.invalidField(field: field, reason: "empty") }
        guard s.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw WireError.invalidField(field: field, reason: "not printable ASCII without spaces")
        }
    }
}

extension Message {
    var carriesPixels: Bool {
        switch self {
        case .frame, .detect: true
        default: false
        }
    }

    /// The camera this message is about, if any (for tap filters and log lines).
    public var camera: String? {
        switch self {
        case let .hello(h): h.camera.isEmpty ? nil : h.camera
        case let .frame(f): f.camera
        case let .detect(d): d.frame.camera
        case let .result(r): r.camera
        case let .motion(m): m.camera
        case let .tapEvent(e): e.message.camera
        default: nil
        }
    }

    /// The detecting_txn this message is about, if any.
    public var txn: UInt64? {
        switch self {
        case let .detect(d): d.txn
        case let .result(r): r.txn
        case let .error(e): e.txn == 0 ? nil : e.txn
        case let .tapEvent(e): e.message.txn
        default: nil
        }
    }
}
