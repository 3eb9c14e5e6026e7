// facegate-recognizer: frames in from the broker, faces and descriptors out.
import ProcessSupport

Log.bootstrap()
RecognizerCommand.main()
