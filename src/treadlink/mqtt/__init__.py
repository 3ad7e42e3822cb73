"""Home automation over MQTT: the topic contract, the bridge, Home Assistant discovery."""
