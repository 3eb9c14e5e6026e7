#ifndef FACEGATE_CGSTREAMER_H
#define FACEGATE_CGSTREAMER_H

// GStreamer 1.22 for Swift. Only what Swift cannot import is wrapped here: GObject cast macros,
// the variadic g_object_set/g_object_get, and a few accessor macros. Everything else (parse,
// state changes, appsink pulls, buffer maps, segments, clocks, pad probes) is called directly.

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

// MARK: casts (GST_APP_SINK, GST_BIN, GST_PIPELINE, G_OBJECT are macros)

static inline GstAppSink *fg_as_app_sink(GstElement *element) { return (GstAppSink *)element; }
static inline GstBin *fg_as_bin(GstElement *element) { return (GstBin *)element; }
static inline GstPipeline *fg_as_pipeline(GstElement *element) { return (GstPipeline *)element; }
static inline GstObject *fg_as_object(gpointer object) { return (GstObject *)object; }

// MARK: typed property access (g_object_set / g_object_get are variadic)

static inline void fg_set_string(gpointer object, const char *name, const char *value) {
    g_object_set(object, name, value, NULL);
}
static inline void fg_set_int(gpointer object, const char *name, gint value) {
    g_object_set(object, name, value, NULL);
}
static inline void fg_set_uint(gpointer object, const char *name, guint value) {
    g_object_set(object, name, value, NULL);
}
static inline void fg_set_bool(gpointer object, const char *name, gboolean value) {
    g_object_set(object, name, value, NULL);
}
static inline guint64 fg_get_uint64(gpointer object, const char *name) {
    guint64 value = 0;
    g_object_get(object, name, &value, NULL);
    return value;
}

// MARK: accessor macros

/// Name of the element that posted a bus message (GST_MESSAGE_SRC_NAME); never NULL.
static inline const char *fg_message_source_name(GstMessage *message) {
    const char *name = GST_MESSAGE_SRC(message) ? GST_OBJECT_NAME(GST_MESSAGE_SRC(message)) : NULL;
    return name ? name : "(unknown)";
}

/// The buffer a buffer-probe was called for (GST_PAD_PROBE_INFO_BUFFER).
static inline GstBuffer *fg_probe_info_buffer(GstPadProbeInfo *info) {
    return GST_PAD_PROBE_INFO_BUFFER(info);
}

/// GST_CLOCK_TYPE of a clock ("clock-type" property of GstSystemClock; -1 for other clocks).
static inline gint fg_system_clock_type(GstClock *clock) {
    if (!GST_IS_SYSTEM_CLOCK(clock)) return -1;
    GstClockType type = GST_CLOCK_TYPE_REALTIME;
    g_object_get(clock, "clock-type", &type, NULL);
    return (gint)type;
}

#endif
