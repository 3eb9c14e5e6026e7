// facegate-capture: one camera's frames, stamped with their capture time, to the broker.
import ProcessSupport

Log.bootstrap()
CaptureCommand.main()
