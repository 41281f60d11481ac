"""Graph API failures, classified by Meta's `error.code` (META_GRAPH_API.md §6)."""

import enum
from dataclasses import dataclass

THROTTLE_CODES = frozenset({4, 17, 32, 341, 368, 613, *range(80000, 80015)})
AUTH_CODES = frozenset({102, 190})
TRANSIENT_CODES = frozenset({0, 1, 2})
DEFAULT_THROTTLE_WAIT_S = 600.0


class ErrorKind(enum.StrEnum):
    TRANSIENT = "transient"
    THROTTLED = "throttled"
    AUTH = "auth"
    PERMANENT = "permanent"


def classify(code: int, is_transient: bool = False) -> ErrorKind:
    """Decide from Meta's `error.code` (never the HTTP status) what a caller should do."""
    if code in AUTH_CODES:
        return ErrorKind.AUTH
    if code in THROTTLE_CODES:
        return ErrorKind.THROTTLED
    if code in TRANSIENT_CODES or is_transient:
        return ErrorKind.TRANSIENT
    return ErrorKind.PERMANENT


@dataclass(eq=False)
class GraphError(Exception):
    """A failed Graph call. `code` is Meta's error.code; 0 = network/timeout, -1 = not JSON."""

    code: int
    subcode: int | None
    message: str
    kind: ErrorKind
    retry_after_s: float | None = None
    fbtrace_id: str | None = None
    http_status: int | None = None
    # The start of a body that could not be read (lead data: kept with the quarantined lead,
    # never logged).
    excerpt: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def unreadable(self) -> bool:
        """Meta answered (no HTTP error) but the body could not be read as JSON."""
        return self.code == -1 and self.http_status is not None and self.http_status < 400

    def __str__(self) -> str:
        sub = f"/{self.subcode}" if self.subcode else ""
        return f"Graph error {self.code}{sub} ({self.kind}): {self.message}"
