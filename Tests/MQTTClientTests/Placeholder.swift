// MQTTClientTests: filled in by its issue.
