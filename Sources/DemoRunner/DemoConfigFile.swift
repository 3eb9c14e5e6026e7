/// The facegate.toml the demo's processes read: two keypad locks and one camera on them.
/// Story durations are scaled to real seconds (one story second = `scale` real seconds).
enum DemoConfigFile {
    /// `dc001Liveness`: DC001's `liveness` ("planar" unless --dc001-liveness says otherwise).
    static func text(socketsDirectory: String, database: String, mqttPort: UInt16, modelsDirectory: String,
                     scale: Double, passwordFile: String, dc001Liveness: String, webPort: UInt16) -> String {
        """
        # Written by facegate-demo (scripts/demo.sh); every key: deploy/facegate.example.toml.
        [runtime]
        sockets_dir = "\(socketsDirectory)"
        database = "\(database)"

        [mqtt]
        host = "127.0.0.1"
        port = \(mqttPort)
        client_id = "facegate-broker-demo"
        reconnect_delay_min = 0.2
        reconnect_delay_max = 2
        # A closed bus: mosquitto admits logins only, and its ACL (`facegate mqtt acl`) lets
        # only zigbee2mqtt report a touch and only facegate command a lock.
        username = "facegate"
        password_file = "\(passwordFile)"

        [[locks]]
        id = "DC001"
        occupancy_max = \(15 * scale)
        # After the story a still photo of the member is held up to DC001's camera: "planar"
        # refuses it (deploy/README.md, "Liveness"). The window is 2 story seconds, like every
        # other duration here, and must not exceed max_decision_age.
        liveness = "\(dc001Liveness)"
        confirm_window = \(PhotoAttempt.confirmWindow * scale)

        [[locks]]
        id = "DC006"
        occupancy_max = \(15 * scale)
        # Off on purpose: in the story the camera shows a still photo standing in for a person
        # at the door, which "planar" would rightly refuse. The story is about when a decision
        # is made (bug #5), not about liveness; a site should not copy this.
        liveness = "off"

        [[cameras]]
        id = "cam-a"
        # The story overrides the source (facegate-capture --source): a test pattern, then a photo.
        source = "test://smpte?width=640&height=480&fps=2"
        fps = 2
        locks = ["DC001", "DC006"]

        [recognizer]
        models_dir = "\(modelsDirectory)"

        [decision]
        max_decision_age = \(5 * scale)

        # The operator's console (facegate-web), on this machine only.
        [web]
        listen = "127.0.0.1:\(webPort)"

        """
    }
}
