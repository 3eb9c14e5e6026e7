// facegate-web: the operator's console.
import ProcessSupport

Log.bootstrap()
WebCommand.main()
