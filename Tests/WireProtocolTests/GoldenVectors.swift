import Vocabulary
@testable import WireProtocol

/// One message of every kind and its bytes on the wire, written field by field from the
/// layout table in MessageCodec.swift — not produced by the encoder — so a change to the
/// codec that breaks compatibility fails here.
enum Golden {
    static let pixels2x2: [UInt8] = [0x0a, 0x0b, 0x0c, 0x0d]

    static let grayFrame = VideoFrame(camera: "c1", sequence: 7, captureMonotonicNs: 0x0102030405060708, captureWallNs: -1,
                                      format: .gray8, width: 2, height: 2, stride: 2, pixels: PixelData(pixels2x2))

    static let descriptor: [Float] = Array(repeating: 0, count: 127) + [1.0]

    /// 67 points at (0.5, -1) and the last at (1.5, 2): a shape only in its byte layout.
    static let landmarks = try! FaceLandmarks(Array(repeating: LandmarkPoint(x: 0.5, y: -1), count: 67)
                                              + [LandmarkPoint(x: 1.5, y: 2)])

    static let vectors: [(name: String, message: Message, hex: String)] = [
        ("hello",
         .hello(Hello(version: 3, role: .capture, name: "cap", pid: 0x1234, camera: "cam-a")),
         "00000014" + "01" + "0003" + "01" + "0003" + "636170" + "00001234" + "0005" + "63616d2d61"),
        ("frame",
         .frame(grayFrame),
         "00000032" + "02" + "0002" + "6331" + "0000000000000007" + "0102030405060708" + "ffffffffffffffff"
            + "02" + "00000002" + "00000002" + "00000002" + "00000004" + "0a0b0c0d"),
        ("detect",
         .detect(Detect(txn: 0x0000_0001_0000_00ff,
                        snapshot: Snapshot(captureMonotonicNs: 0x10, motion: true,
                                           sessions: [SnapshotSession(sessionID: 42, lock: "DC006")]),
                        frame: VideoFrame(camera: "c1", sequence: 7, captureMonotonicNs: 0x10, captureWallNs: 0,
                                          format: .rgb24, width: 1, height: 1, stride: 4, pixels: PixelData([1, 2, 3, 0])))),
         "00000054" + "03" + "00000001000000ff"
            + "0000000000000010" + "01" + "0001" + "000000000000002a" + "0005" + "4443303036"
            + "0002" + "6331" + "0000000000000007" + "0000000000000010" + "0000000000000000"
            + "01" + "00000001" + "00000001" + "00000004" + "00000004" + "01020300"),
        ("detect-landmarks",
         .detect(Detect(txn: 2,
                        snapshot: Snapshot(captureMonotonicNs: 0x10, motion: false,
                                           sessions: [SnapshotSession(sessionID: 42, lock: "DC006")], landmarksWanted: true),
                        frame: VideoFrame(camera: "c1", sequence: 7, captureMonotonicNs: 0x10, captureWallNs: 0,
                                          format: .rgb24, width: 1, height: 1, stride: 4, pixels: PixelData([1, 2, 3, 0])))),
         "00000054" + "03" + "0000000000000002"
            + "0000000000000010" + "02" + "0001" + "000000000000002a" + "0005" + "4443303036"
            + "0002" + "6331" + "0000000000000007" + "0000000000000010" + "0000000000000000"
            + "01" + "00000001" + "00000001" + "00000004" + "00000004" + "01020300"),
        ("result",
         .result(RecognitionResult(txn: 5, camera: "c1", sequence: 7, captureMonotonicNs: 0x10, detectMicros: 1000,
                                   descriptorMicros: 2000,
                                   faces: [DetectedFace(box: FaceBox(left: 10, top: -1, right: 20, bottom: 30),
                                                              quality: 0.5, descriptor: try! FaceDescriptor(descriptor))])),
         "0000023f" + "04" + "0000000000000005" + "0002" + "6331" + "0000000000000007" + "0000000000000010"
            + "000003e8" + "000007d0" + "0001"
            + "0000000a" + "ffffffff" + "00000014" + "0000001e" + "3f000000" + "0080"
            + String(repeating: "00000000", count: 127) + "3f800000" + "00" + "00"),
        ("result-landmarks",
         .result(RecognitionResult(txn: 6, camera: "c1", sequence: 8, captureMonotonicNs: 0x10, detectMicros: 1000,
                                   descriptorMicros: 2000,
                                   faces: [DetectedFace(box: FaceBox(left: 1, top: 2, right: 3, bottom: 4), quality: 1,
                                                        descriptor: try! FaceDescriptor(descriptor)),
                                           DetectedFace(box: FaceBox(left: 10, top: -1, right: 20, bottom: 30), quality: 0.5,
                                                        descriptor: try! FaceDescriptor(descriptor), landmarks: landmarks)])),
         "00000677" + "04" + "0000000000000006" + "0002" + "6331" + "0000000000000008" + "0000000000000010"
            + "000003e8" + "000007d0" + "0002"
            + "00000001" + "00000002" + "00000003" + "00000004" + "3f800000" + "0080"
            + String(repeating: "00000000", count: 127) + "3f800000" + "00" + "00"
            + "0000000a" + "ffffffff" + "00000014" + "0000001e" + "3f000000" + "0080"
            + String(repeating: "00000000", count: 127) + "3f800000"
            + "44" + String(repeating: "3f000000" + "bf800000", count: 67) + "3fc00000" + "40000000" + "00"),
        ("result-chip",
         .result(RecognitionResult(txn: 7, camera: "c1", sequence: 9, captureMonotonicNs: 0x10, detectMicros: 1000,
                                   descriptorMicros: 2000,
                                   faces: [DetectedFace(box: FaceBox(left: 1, top: 2, right: 3, bottom: 4), quality: 1,
                                                        descriptor: try! FaceDescriptor(descriptor),
                                                        chip: FaceChip(format: .jpeg, width: 150, height: 2,
                                                                       bytes: [0xff, 0xd8, 0xff, 0xd9]))])),
         "0000024b" + "04" + "0000000000000007" + "0002" + "6331" + "0000000000000009" + "0000000000000010"
            + "000003e8" + "000007d0" + "0001"
            + "00000001" + "00000002" + "00000003" + "00000004" + "3f800000" + "0080"
            + String(repeating: "00000000", count: 127) + "3f800000" + "00"
            + "01" + "0096" + "0002" + "00000004" + "ffd8ffd9"),
        ("credit", .credit(Credit(count: 3)), "00000005" + "05" + "00000003"),
        ("heartbeat",
         .heartbeat(Heartbeat(monotonicNs: 100, counters: [Counter("sent", 9)])),
         "00000019" + "06" + "0000000000000064" + "0001" + "0004" + "73656e74" + "0000000000000009"),
        ("error",
         .error(ErrorMessage(code: .invalidFrame, txn: 5, text: "bad")),
         "00000010" + "07" + "0005" + "0000000000000005" + "0003" + "626164"),
        ("tap-subscribe",
         .tapSubscribe(TapSubscribe(kindMask: 1 << 2 | 1 << 4, includePixels: true, camera: "c1")),
         "0000000a" + "08" + "00000014" + "01" + "0002" + "6331"),
        ("tap-event",
         .tapEvent(TapEvent(monotonicNs: 1, direction: .sent, peer: "r", pixelsStripped: true,
                            message: .frame(VideoFrame(camera: "c1", sequence: 7, captureMonotonicNs: 0x0102030405060708,
                                                       captureWallNs: -1, format: .gray8, width: 2, height: 2, stride: 2,
                                                       pixels: PixelData([]))))),
         "00000040" + "09" + "0000000000000001" + "02" + "0001" + "72" + "01" + "0000002e"
            + "02" + "0002" + "6331" + "0000000000000007" + "0102030405060708" + "ffffffffffffffff"
            + "02" + "00000002" + "00000002" + "00000002" + "00000000"),
        ("status-request", .statusRequest, "00000001" + "0a"),
        ("status-reply", .statusReply(StatusReply(json: "{}")), "00000007" + "0b" + "00000002" + "7b7d"),
        ("motion",
         .motion(MotionReport(camera: "c1", active: true, cameraWallNs: -2, detail: "x")),
         "00000011" + "0c" + "0002" + "6331" + "01" + "fffffffffffffffe" + "0001" + "78"),
        ("hello-motion",
         .hello(Hello(version: 3, role: .motion, name: "o", pid: 1, camera: "c1")),
         "0000000f" + "01" + "0003" + "06" + "0001" + "6f" + "00000001" + "0002" + "6331"),
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }
}
