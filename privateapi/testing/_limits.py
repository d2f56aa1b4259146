"""API Gateway's limits that the local gateway enforces, and its token-bucket throttling.

The numbers are the REST API quotas of ``aws-private-apis.md`` (§3 and [QUOTAS]); how
AWS counts some of them is not documented, and the choices are marked ``unverified``
where they are made.
"""

from __future__ import annotations

import math
import threading
import time

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEAD_BYTES",
    "MAX_METHOD_ARN_BYTES",
    "MAX_POLICY_FILE_BYTES",
    "MAX_RESOURCE_POLICY_CHARS",
    "TokenBucket",
]

#: Request body (payload) limit: 10 MB; over it, 413 in plain text.
MAX_BODY_BYTES = 10 * 1024 * 1024
#: "Total combined size of request line and header values" (not per value).
MAX_HEAD_BYTES = 10_240
#: The method ARN (``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{path}``)
#: when authorization is on, which for private APIs (always a resource policy) is every call.
MAX_METHOD_ARN_BYTES = 1_600
#: The resource policy, checked when it is put (``add_api``, ``set_policy``).
MAX_RESOURCE_POLICY_CHARS = 8_192
#: Not an AWS limit: how much of a ``policy_file`` the lab config reads (no policy AWS
#: accepts is larger; endpoint policies are capped at 20,480 characters).
MAX_POLICY_FILE_BYTES = 64 * 1024


class TokenBucket:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` stored.

    API Gateway throttles per account, stage and method with exactly this model
    (steady-state rate + burst). A request takes one token; none left → 429.

    Example:
        >>> b = TokenBucket(rate=1, burst=2)
        >>> [b.take(), b.take(), b.take()]
        [True, True, False]
    """

    def __init__(self, rate: float, burst: int) -> None:
        if (
            not isinstance(rate, int | float)
            or isinstance(rate, bool)
            or not math.isfinite(rate)
            or rate < 0
            or not isinstance(burst, int)
            or isinstance(burst, bool)
            or burst < 1
        ):
            from privateapi.testing._errors import LabConfigError

            raise LabConfigError(
                "throttle",
                (rate, burst),
                "(rate, burst): a finite rate >= 0, an integer burst >= 1",
            )
        self.rate = float(rate)
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one token if there is one."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False
