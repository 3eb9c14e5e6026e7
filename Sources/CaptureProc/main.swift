// facegate-capture: one camera's frames, stamped with their capture time, to the broker.
CaptureCommand.main()
