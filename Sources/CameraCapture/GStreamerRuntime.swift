import CGStreamer

/// Process-wide GStreamer initialisation, done once on first use.
enum GStreamerRuntime {
    /// nil when GStreamer initialised; otherwise why not (no plugins, broken registry).
    static let initializationError: String? = {
        var error: UnsafeMutablePointer<GError>?
        if gst_init_check(nil, nil, &error) != 0 { return nil }
        defer { if error != nil { g_error_free(error) } }
        return error.map { String(cString: $0.pointee.message) } ?? "gst_init_check failed"
    }()

    /// videoconvertscale (new in 1.22) converts and scales in one pass; older installs chain two elements.
    static let hasVideoConvertScale: Bool = {
        guard initializationError == nil, let factory = gst_element_factory_find("videoconvertscale") else { return false }
        gst_object_unref(UnsafeMutableRawPointer(factory))
        return true
    }()

    static var version: String {
        guard let text = gst_version_string() else { return "unknown" }
        defer { g_free(text) }
        return String(cString: text)
    }
}
