// MQTTClient: placeholder until its issue lands.
