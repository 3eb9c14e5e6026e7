// facegate-onvif: one camera's ONVIF motion events to the broker.
OnvifCommand.main()
