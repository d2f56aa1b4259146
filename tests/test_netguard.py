"""The test network guard refuses what is not loopback (and lets loopback through)."""

from __future__ import annotations

import socket

import _netguard
import pytest


def test_a_connect_beyond_loopback_is_refused_and_recorded() -> None:
    if _netguard._isolated():
        pytest.skip(
            "NOT RUN: in a fresh network namespace the guard stands down (nothing can leave)"
        )
    before = len(_netguard.VIOLATIONS)
    # UDP connect sends no packet, so even a broken guard leaks nothing here.
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(OSError, match="guard"),
    ):
        sock.connect(("192.0.2.1", 53))
    assert _netguard.VIOLATIONS[before:] == ["connect to 192.0.2.1:53"]
    del _netguard.VIOLATIONS[before:]  # expected here: not this test's failure


def test_loopback_and_local_names_pass() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", 9))
    assert _netguard._loopback("::ffff:127.0.0.1") is True
    assert _netguard._loopback("10.0.0.1") is False
    assert _netguard._loopback("execute-api.us-east-1.amazonaws.com") is None
    assert _netguard._allowed_name("LOCALHOST.") and _netguard._allowed_name("gw.localhost")
    assert not _netguard._allowed_name("abcde12345.execute-api.us-east-1.amazonaws.com")
