"""A registry service on a free loopback port, in a thread of the test process (uvicorn),
that a test can stop and start again on the same port."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``labctl registry serve`` in-process: ``start()``, ``stop()``, ``url``."""

    def __init__(self, db_url: str, *, port: int | None = None, **app_options: Any):
        self.db_url = db_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._options = app_options
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.starts = 0

    def start(self) -> None:
        from labctl.registry.service import create_app

        app = create_app(self.db_url, **self._options)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the service did not start on port {self.port}")
            time.sleep(0.01)
        self.starts += 1

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None
        self._thread.join(timeout=10)
        registry = self._server.config.app.state.registry
        registry.close()
        self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


def make_tokens(db_url: str) -> dict[str, str]:
    """One token per role, made in the service's database as the CLI does."""
    from labctl.registry.store import open_registry
    from labctl.registry.tokens import create_token

    with open_registry(db_url) as reg:
        return {role: create_token(reg, role, f"test {role}")[0]
                for role in ("bench", "reviewer", "reader")}
