"""`Closes`: `with thing:` closes it on the way out, for the history's resources."""

from __future__ import annotations

from typing import Self


class Closes:
    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
