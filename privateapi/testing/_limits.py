"""Usage limits: API Gateway's token-bucket throttling."""

from __future__ import annotations

import threading
import time

__all__ = ["TokenBucket"]


class TokenBucket:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` stored.

    API Gateway throttles per account, stage and method with exactly this model
    (steady-state rate + burst). A request takes one token; none left → 429.

    Example:
        >>> b = TokenBucket(rate=1, burst=2)
        >>> [b.take(), b.take(), b.take()]
        [True, True, False]
    """

    def __init__(self, rate: float, burst: int, *, clock: object = None) -> None:
        if rate < 0 or burst < 1:
            from privateapi.testing._errors import LabConfigError

            raise LabConfigError("throttle", (rate, burst), "rate >= 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
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
