"""Meta's error envelope, per-code defaults, and the injectable fault queue entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .util import trace_id

THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
NOT_JSON = -1  # fault code for a non-JSON 502 page (a proxy in front of Graph failing)
SLOW = 0  # fault code for "answer normally, but only after delay_s"

MESSAGES: dict[int, str] = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    3: "Application does not have the capability to make this API call.",
    4: "Application request limit reached",
    10: "Application does not have permission for this action",
    17: "User request limit reached",
    32: "Page request limit reached",
    100: "Invalid parameter",
    102: "Session key invalid or no longer valid",
    190: "Error validating access token: The session has been invalidated.",
    200: "Permissions error",
    210: "This call requires a Page access token.",
    368: "The action attempted has been deemed abusive or is otherwise disallowed",
    613: "Calls to this api have exceeded the rate limit.",
    803: "Some of the aliases you requested do not exist",
    2635: "You are calling a deprecated version of the Ads API. "
    "Please update to the latest version.",
    80005: "There have been too many leadgen api calls to this Page. Wait a bit and try again.",
}
SUBCODE_190_MESSAGES: dict[int, str] = {
    458: "Error validating access token: The user has not authorized application.",
    459: "Error validating access token: You cannot access the app till you log in to "
    "www.facebook.com and follow the instructions given.",
    460: "Error validating access token: The session has been invalidated because the user "
    "changed their password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    464: "Error validating access token: Sessions for the user are not allowed because the user "
    "is not a confirmed user.",
    467: "Error validating access token: The session is invalid because the user logged out.",
    492: "Error validating access token: "
    "The user is not an admin, editor or moderator of the Page.",
}
BUC_TYPES: dict[int, str] = {
    80000: "ads_insights",
    80001: "pages",
    80002: "instagram",
    80003: "custom_audience",
    80004: "ads_management",
    80005: "leadgen",
    80006: "messenger",
    80008: "whatsapp_business",
    80009: "catalog_management",
    80014: "catalog_batch",
}


def http_status(code: int) -> int:
    """Meta-like HTTP status: 500 for 1/2, 403 for 10 and 200-299, else 400."""
    if code in TRANSIENT_CODES:
        return 500
    if code == 10 or 200 <= code <= 299:
        return 403
    return 400


def default_message(code: int, subcode: int | None) -> str:
    if code == 190 and subcode in SUBCODE_190_MESSAGES:
        return SUBCODE_190_MESSAGES[subcode]
    if code in MESSAGES:
        return MESSAGES[code]
    if 80000 <= code <= 80014:
        kind = BUC_TYPES.get(code, "business use case").replace("_", " ")
        return f"There have been too many {kind} api calls. Wait a bit and try again."
    if 200 <= code <= 299 and code not in MESSAGES:
        return "Permissions error"
    return "An unknown error occurred"


class GraphAPIError(Exception):
    """Raised inside the Graph routes; rendered as Meta's error envelope."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        subcode: int | None = None,
        error_type: str | None = None,
        regain_minutes: int = 0,
        status: int | None = None,
    ) -> None:
        self.code = code
        self.subcode = subcode
        self.message = message if message is not None else default_message(code, subcode)
        self.error_type = error_type or (
            "GraphMethodException" if code == 100 else "OAuthException"
        )
        self.regain_minutes = regain_minutes
        self.status = status or http_status(code)
        super().__init__(self.message)

    @classmethod
    def prefixed(
        cls, code: int, subcode: int | None = None, regain_minutes: int = 0
    ) -> GraphAPIError:
        """An injected fault: message `(#code) ...` as Meta words most coded errors."""
        message = f"(#{code}) {default_message(code, subcode)}"
        return cls(code, message, subcode=subcode, regain_minutes=regain_minutes)

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["is_transient"] = self.code in TRANSIENT_CODES
        error["fbtrace_id"] = trace_id()
        return {"error": error}

    def headers(self) -> dict[str, str]:
        if self.code == 190:
            return {
                "WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{self.message}"'
            }
        return {}


def unknown_object(object_id: str, method: str = "get") -> GraphAPIError:
    """Meta's 100/33 for ids that do not exist or that this token cannot see."""
    return GraphAPIError(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
    )


@dataclass
class Fault:
    """One queued fault; see SandboxState.inject_fault for the meaning of each field."""

    code: int
    subcode: int | None = None
    times: int = 1
    after: int = 0
    path_contains: str | None = None
    token: str | None = None
    delay_s: float = 0.0
    regain_minutes: int = 0

    def __post_init__(self) -> None:
        if self.code < NOT_JSON or self.times < 1 or self.after < 0:
            raise ValueError("bad fault: need code >= -1, times >= 1, after >= 0")
        if not 0 <= self.delay_s <= 120 or self.regain_minutes < 0:
            raise ValueError("bad fault: need 0 <= delay_s <= 120 and regain_minutes >= 0")

    def matches(self, path: str, token: str | None) -> bool:
        if self.path_contains is not None and self.path_contains not in path:
            return False
        return self.token is None or self.token == token

    def error(self) -> GraphAPIError | None:
        if self.code in (SLOW, NOT_JSON):
            return None
        return GraphAPIError.prefixed(self.code, self.subcode, self.regain_minutes)


def take_fault(faults: list[Fault], path: str, token: str | None) -> Fault | None:
    """Pop one use of the first matching fault whose `after` is used up; if none fires, the
    request succeeds and counts toward every matching fault's `after`. Caller holds the lock."""
    matching = [fault for fault in faults if fault.matches(path, token)]
    for fault in matching:
        if fault.after == 0:
            fault.times -= 1
            if fault.times == 0:
                faults.remove(fault)
            return fault
    for fault in matching:
        fault.after -= 1
    return None
