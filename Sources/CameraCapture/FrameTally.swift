import CGStreamer
import Synchronization

/// A frame counter that a GStreamer streaming thread bumps through a pad probe while any
/// other thread reads it.
final class FrameTally: Sendable {
    private let count = Atomic<UInt64>(0)

    var value: UInt64 { count.load(ordering: .relaxed) }

    func increment() { count.add(1, ordering: .relaxed) }

    /// Counts every buffer that reaches `element`'s sink pad. The probe keeps the tally alive
    /// for as long as the pad exists.
    func attach(toSinkPadOf element: UnsafeMutablePointer<GstElement>) -> Bool {
        guard let pad = gst_element_get_static_pad(element, "sink") else { return false }
        defer { gst_object_unref(pad) }
        let id = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, countBufferProbe,
                                   Unmanaged.passRetained(self).toOpaque(), releaseTally)
        return id != 0
    }
}

// Free functions, not closures in a main-actor context: GStreamer calls them on its own threads.
private func countBufferProbe(_ pad: UnsafeMutablePointer<GstPad>?, _ info: UnsafeMutablePointer<GstPadProbeInfo>?,
                              _ userData: gpointer?) -> GstPadProbeReturn {
    if let userData { Unmanaged<FrameTally>.fromOpaque(userData).takeUnretainedValue().increment() }
    return GST_PAD_PROBE_OK
}

private func releaseTally(_ userData: gpointer?) {
    if let userData { Unmanaged<FrameTally>.fromOpaque(userData).release() }
}
