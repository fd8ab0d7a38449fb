"""The bot's own small web server: Telegram's webhook, /healthz and /metrics.

In webhook mode one port serves all three, so a load balancer checks the same replicas it
sends Telegram's updates to. Updates must carry the shared secret (WEBHOOK_SECRET) in
Telegram's `X-Telegram-Bot-Api-Secret-Token` header; anything else is refused. In long
polling mode, HEALTH_PORT (when set) serves /healthz and /metrics alone.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
from datetime import timedelta
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.runtime import Runtime

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DATABASE_TIMEOUT = 3.0
MAX_BODY = 1024 * 1024


async def health(rt: Runtime) -> tuple[bool, dict[str, str]]:
    """Is this replica fit to serve: the database answers, and the ticker ran lately."""
    report: dict[str, str] = {}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            async with rt.db.reading() as session:
                await session.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as error:  # any failure at all means "not reachable"
        report["database"] = f"unreachable ({type(error).__name__})"
    now = rt.clock.now()
    allowed = timedelta(seconds=3 * rt.settings.tick_seconds + 30)
    since = rt.last_tick_at or rt.started_at
    if since is not None and now - since <= allowed:
        report["tick"] = "ok"
    else:
        report["tick"] = "late" if rt.last_tick_at else "not yet"
    return all(v == "ok" for v in report.values()), report


class _Base(RequestHandler):
    def initialize(self, **kwargs: Any) -> None:
        self.deps = kwargs

    def data_received(self, chunk: bytes) -> None:  # pragma: no cover - not streaming
        pass


class _Webhook(_Base):
    async def post(self) -> None:
        application: Application = self.deps["ptb"]  # type: ignore[type-arg]
        secret: str = self.deps["secret"]
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            self.set_status(403)
            return
        if len(self.request.body) > MAX_BODY:
            self.set_status(413)
            return
        update = _parse_update(self.request.body, application)
        if update is None:
            log.warning("the webhook received a body that is not a Telegram update")
            self.set_status(400)
            return
        # Answered once handled (committed, or found handled before): an update whose
        # process dies before that is sent again by Telegram, and its claim in the database
        # keeps a copy that comes to another replica from being handled twice.
        processor = application.update_processor
        await processor.process_update(update, application.process_update(update))
        self.set_status(200)


def _parse_update(body: bytes, application: Application) -> Update | None:  # type: ignore[type-arg]
    """The update in a webhook's body, or None when it is not one (never raises)."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None
        return Update.de_json(data, application.bot)
    except Exception:  # any malformed body is the sender's error, answered 400
        return None


class _Health(_Base):
    async def get(self) -> None:
        fit, report = await health(self.deps["runtime"])
        self.set_status(200 if fit else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": fit, **report}))


class _Metrics(_Base):
    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest())


def build_web(
    application: Application,  # type: ignore[type-arg]
    runtime: Runtime,
    *,
    secret: str | None,
    webhook_path: str = "/telegram",
) -> WebApplication:
    """The routes: the webhook (when a secret is given), /healthz and /metrics."""
    routes: list[Any] = [
        ("/healthz", _Health, {"runtime": runtime}),
        ("/metrics", _Metrics, {}),
    ]
    if secret is not None:
        routes.append((webhook_path, _Webhook, {"ptb": application, "secret": secret}))
    return WebApplication(routes)


class WebServer:
    """The web server, serving until `stop`, and the port it listens on."""

    def __init__(self, server: HTTPServer, sockets: list[socket.socket]) -> None:
        self._server = server
        # The sockets it was given, kept here: tornado's own record of them is private.
        self.port = int(sockets[0].getsockname()[1])

    def stop(self) -> None:
        """Stop listening."""
        self._server.stop()


async def start_web(
    application: Application,  # type: ignore[type-arg]
    runtime: Runtime,
    *,
    listen: str,
    port: int,
    secret: str | None,
) -> WebServer:
    """Serve on `listen:port` (0: any free port, see `WebServer.port`) until `.stop()`."""
    server = HTTPServer(build_web(application, runtime, secret=secret), max_body_size=MAX_BODY)
    sockets = bind_sockets(port, address=listen)
    server.add_sockets(sockets)
    return WebServer(server, sockets)
