"""The simulator's side of the virtual link: bumble's controller and host, without formatting
packets no one logs.

bumble's `Controller` and `Host` write every HCI packet they pass into a debug log line built
with an f-string, so each packet is formatted (field by field, in colour) whether or not debug
logging is on. On the in-process link every notification crosses the simulator's host and two
controllers: that formatting was about a fifth of the CPU of the fake-time programme bench
(docs/benchmarks.md). These methods do what bumble 0.0.236's do (pinned in pyproject.toml) and
log the packet only when bumble's logger would print it. The bridge's own host is bumble's,
untouched: it is the stack under test.
"""

from __future__ import annotations

import asyncio
import logging

from bumble import controller, hci, host


class SimController(controller.Controller):
    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if controller.logger.isEnabledFor(logging.DEBUG):
            super().on_hci_packet(packet)
            return
        match packet:
            case hci.HCI_Command():
                self.on_hci_command_packet(packet)
            case hci.HCI_AclDataPacket():
                self.on_hci_acl_data_packet(packet)
            case hci.HCI_Event():
                self.on_hci_event_packet(packet)
            case _:
                super().on_hci_packet(packet)  # bumble's warning for an unknown packet

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if controller.logger.isEnabledFor(logging.DEBUG):
            super().send_hci_packet(packet)
        elif self.host:
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))


class SimHost(host.Host):
    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if host.logger.isEnabledFor(logging.DEBUG) or self.snooper:
            super().on_hci_packet(packet)
            return
        match packet:
            case hci.HCI_Event():
                self.on_hci_event_packet(packet)
            case hci.HCI_AclDataPacket():
                self.on_hci_acl_data_packet(packet)
            case _:
                super().on_hci_packet(packet)  # the rest: rare, bumble's own dispatch

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if host.logger.isEnabledFor(logging.DEBUG) or self.snooper:
            super().send_hci_packet(packet)
        elif self.hci_sink:
            self.hci_sink.on_packet(bytes(packet))
