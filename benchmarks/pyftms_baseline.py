"""pyftms's own client on our bumble backend, for side-by-side figures.

pyftms 0.4.15 passes extra arguments to bleak-retry-connector as `kwargs=<dict>` instead of
`**kwargs`, so `backend=` never reaches BleakClient (see docs/decisions/0001). The one fix is
here, and only the bench uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyftms.client.client as pyftms_client


@contextmanager
def backend_forwarded() -> Iterator[None]:
    original = pyftms_client.establish_connection

    async def establish(*args: Any, kwargs: dict[str, Any] | None = None, **named: Any) -> Any:
        extra = dict(kwargs or {})
        while "kwargs" in extra:  # get_client() nests them one level deeper still
            extra.update(extra.pop("kwargs") or {})
        return await original(*args, **named, **extra)

    pyftms_client.establish_connection = establish
    try:
        yield
    finally:
        pyftms_client.establish_connection = original
