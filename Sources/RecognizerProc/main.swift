// facegate-recognizer: frames in from the broker, faces and descriptors out.
RecognizerCommand.main()
