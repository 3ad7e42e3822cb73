"""A broker flooding a bridge: `python -m benchmarks.mqtt_flood PORT TOPIC RATE` publishes
unreadable commands to TOPIC at RATE messages a second until killed (each one is answered, so
the bridge has both ways to carry). Its own process, so it does not share the bridge's loop."""

from __future__ import annotations

import sys
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def flood(port: int, topic: str, rate: float) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    period = 1.0 / rate
    next_at = time.perf_counter()
    while True:
        client.publish(topic, b"flood", qos=0)
        next_at += period
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    flood(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]))
