"""Port helpers: clear errors for taken ports, waiting for listeners."""

from __future__ import annotations

import socket

import pytest

from runtime.errors import RuntimeServiceError
from runtime.ports import ensure_port_free, find_free_port, wait_for_port


def test_ensure_port_free_names_the_port_and_the_setting():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(RuntimeServiceError) as raised:
            ensure_port_free("127.0.0.1", port)
        assert str(raised.value) == (
            f"port {port} on 127.0.0.1 is already in use (another talentloop?)"
            " — set PORT to use another"
        )
        wait_for_port("127.0.0.1", port, timeout=1.0)
    ensure_port_free("127.0.0.1", port)


def test_find_free_port_and_wait_for_port_timeout():
    port = find_free_port()
    ensure_port_free("127.0.0.1", port)
    with pytest.raises(RuntimeServiceError, match="did not accept connections"):
        wait_for_port("127.0.0.1", port, timeout=0.3)
