// facegate-onvif: one camera's ONVIF motion events to the broker.
import ProcessSupport

Log.bootstrap()
OnvifCommand.main()
