// facegate-locksim: simulated zigbee2mqtt keypad locks for tests and the demo.
import ProcessSupport

Log.bootstrap()
LockSimulatorCommand.main()
