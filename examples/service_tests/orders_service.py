"""A small service that depends on a private API: the one the tests next to it exercise.

``OrdersService`` asks a private *inventory* API whether an item is in stock before it
accepts an order. It takes an :class:`privateapi.InvokeTarget` (and client options), so
production code passes ``InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")`` and
the tests pass the local gateway's target, unchanged code in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from privateapi import AccessDeniedError, Client, InvokeTarget, ThrottledError


class InventoryUnavailable(Exception):  # noqa: N818 - a domain outcome, named as such
    """The inventory API could not be asked; ``reason`` is privateapi's cause code."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"inventory unavailable: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Decision:
    sku: str
    accepted: bool
    why: str


class OrdersService:
    """Accepts an order when the inventory API says the item is in stock."""

    def __init__(self, inventory: InvokeTarget, **client_options: Any) -> None:
        self._client = Client(inventory, **client_options)

    def close(self) -> None:
        self._client.close()

    def place(self, sku: str, quantity: int) -> Decision:
        try:
            # raise_for_status=True raises privateapi's typed errors (with a cause code).
            response = self._client.get(f"/stock/{sku}", raise_for_status=True)
        except (AccessDeniedError, ThrottledError) as exc:
            raise InventoryUnavailable(exc.cause_code or type(exc).__name__) from exc
        available = int(response.json()["available"])
        if available >= quantity:
            return Decision(sku, True, f"{available} in stock")
        return Decision(sku, False, f"only {available} in stock")
