#!/usr/bin/python3
"""RTSP server for facegate's capture tests: serves one video file on 127.0.0.1.

Run with Debian's /usr/bin/python3 (python3-gi + gir1.2-gst-rtsp-server-1.0); a python3
earlier on PATH may lack `gi`.

The media is not shared, so every client gets the file from its start: a shared media that
reached end of stream would serve nothing to the next client. `--codec` re-encodes the file's
H.264 to H.265 or MJPEG so the capture side's other depayloaders and decoders get exercised.
Prints one `ready` line on stdout when it listens.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PAYLOADERS = {
    "h264": "h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1",
    "h265": "h264parse ! avdec_h264 ! videoconvert ! x265enc speed-preset=ultrafast tune=zerolatency "
            "! h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1",
    "mjpeg": "h264parse ! avdec_h264 ! videoconvert ! jpegenc quality=80 ! rtpjpegpay name=pay0 pt=26",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True, help="an MP4 file holding H.264 video")
    parser.add_argument("--mount", default="/clip")
    parser.add_argument("--codec", choices=sorted(PAYLOADERS), default="h264")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    location = args.file.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(f'( filesrc location="{location}" ! qtdemux ! {PAYLOADERS[args.codec]} )')
    factory.set_shared(False)
    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print(f"rtsp-test-server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    print(f"rtsp-test-server ready rtsp://127.0.0.1:{args.port}{args.mount} codec={args.codec}", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
