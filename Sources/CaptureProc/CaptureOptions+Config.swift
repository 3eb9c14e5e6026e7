import CameraCapture
import FacegateConfig
import Foundation

extension CaptureOptions {
    /// The camera's `[[cameras]]` entry and the `[runtime]` section of the shared TOML file.
    /// RTSP transport and latency come from `rtsp_transport`/`rtsp_latency_ms` unless the source
    /// URI carries its own `#transport=…&latency=…`.
    static func fromConfig(path: String, cameraId: String) throws -> CaptureOptions {
        let configuration: FacegateConfiguration
        do {
            configuration = try FacegateConfiguration.load(path: path)
        } catch {
            throw CaptureOptionsError.config("\(error)")
        }
        guard let cameraIndex = configuration.cameras.firstIndex(where: { $0.id == cameraId }) else {
            let known = configuration.cameras.map(\.id).joined(separator: ", ")
            throw CaptureOptionsError.config("\(path): no [[cameras]] entry with id \"\(cameraId)\" (cameras: \(known.isEmpty ? "none" : known))")
        }
        let camera = configuration.cameras[cameraIndex]
        var source = try parseSource(camera.source)
        if case let .rtsp(url, _, _) = source, !camera.source.contains("#") {
            let transport: CaptureSource.RTSPTransport = switch camera.rtspTransport {
            case .tcp: .tcp
            case .udp: .udp
            case .auto: .auto
            }
            source = .rtsp(url: url, transport: transport, latencyMs: camera.rtspLatencyMilliseconds)
        }
        let settings = CaptureSettings(pixelFormat: camera.pixelFormat,
                                       maxWidth: camera.maxWidth > 0 ? camera.maxWidth : nil,
                                       maxFps: camera.fps, noFrameTimeout: camera.watchdogSeconds)
        let sockets = URL(fileURLWithPath: configuration.runtime.socketsDirectory)
        return CaptureOptions(cameraId: cameraId, source: source, settings: settings,
                              brokerSocket: sockets.appendingPathComponent("capture.sock").path,
                              controlSocket: configuration.runtime.tap ? sockets.appendingPathComponent("capture-\(cameraId).ctl").path : nil,
                              maxFrameBytes: configuration.runtime.maxFrameBytes,
                              metricsListen: configuration.metrics.camera(index: cameraIndex),
                              metricsSettings: configuration.metrics)
    }
}
