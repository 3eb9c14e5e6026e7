// facegate-bench: every figure the issues ask for, printed; ratios measured side by side in
// one run. `facegate-bench all` runs them in turn (make bench).
import ProcessSupport

Log.bootstrap()
FacegateBench.main()
