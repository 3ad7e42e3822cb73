"""What the simulator keeps of the clients' writes and links, for tests and the report."""

from __future__ import annotations

from dataclasses import dataclass

from bumble.device import Connection

from treadlink.ftms.protocol import ResultCode


@dataclass(frozen=True, slots=True)
class ControlPointRecord:
    """One control write as the simulator saw it (an FTMS control-point write, or a FitShow
    command; FitShow's status polls are not kept)."""

    at: float  # loop time of arrival
    data: bytes
    # The result indicated (or that would have been); None if the request was ignored.
    result: ResultCode | None = None
    att_error: int | None = None  # set instead of result when the write itself was refused
    answer: str | None = None  # what a protocol without result codes (FitShow) did with it


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """One link a central made to the simulator."""

    at: float  # loop time the link was made
    peer: str  # the central's address
    refused: bool = False  # dropped at once (Fault.LINK_REFUSED)


def address_of(connection: Connection) -> str:
    return str(connection.peer_address).removesuffix("/P")
