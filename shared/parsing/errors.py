"""The one error type parsers raise."""


class NotAReport(ValueError):
    """The bytes are not a readable report; `reason` is one line for logs, quarantine and stderr."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())
        super().__init__(self.reason)
