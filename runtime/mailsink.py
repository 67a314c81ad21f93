"""The development mail sink: an SMTP server that delivers every message into a Maildir.

`MailSink` accepts anything (any sender, any recipient, AUTH with any credentials or
none) so the app's real SMTP code path runs unchanged in local runs; `MailStore` reads
the Maildir back for the dev mailbox pages and for tests.

Standalone: `python -m runtime.mailsink --host 127.0.0.1 --port 1025 --maildir var/mail`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import mailbox
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from runtime.errors import RuntimeServiceError
from runtime.mailstore import ENVELOPE_HEADER, open_maildir
from runtime.ports import ensure_port_free

logger = logging.getLogger(__name__)



# -- receiving --------------------------------------------------------------------------


class _MaildirHandler:
    """aiosmtpd handler: every DATA ends up as one file in the Maildir."""

    def __init__(self, maildir: mailbox.Maildir):
        self._maildir = maildir
        # mailbox.Maildir keeps an in-memory table of contents; one writer at a time.
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # original_content is the DATA payload byte for byte (only SMTP dot-stuffing
        # undone), so signatures and encodings stay exactly as the app produced them.
        raw = envelope.original_content or b""
        with self._lock:
            key = self._maildir.add(_envelope_to_header(envelope.rcpt_tos) + raw)
        logger.info("mail sink stored %s for %s", key, ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _envelope_to_header(recipients: Sequence[str]) -> bytes:
    """`X-Envelope-To:` line listing the SMTP RCPT TO addresses.

    Bcc recipients appear in no header, so without this line a test could not find the
    mail sent to them. Prepending one header (as delivery agents prepend Delivered-To or
    Return-Path) leaves the received bytes after it untouched.
    """
    folded = ",\r\n ".join(recipients) or "undisclosed-recipients:;"
    return f"{ENVELOPE_HEADER}: {folded}\r\n".encode()


def _accept_any_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    # A sink for development: whatever SMTP_USERNAME/PASSWORD the app is configured
    # with must work, exactly like a real relay that accepts them.
    return AuthResult(success=True, auth_data=auth_data)


class _DropLoginDataWarning(logging.Filter):
    # aiosmtpd 1.4 itself sets the deprecated Session.login_data after every successful
    # AUTH and logs a warning about it each time; that is noise, not our problem.
    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_LOGIN_DATA_FILTER = _DropLoginDataWarning()


class MailSink:
    """SMTP server on `host:port` (in a background thread) delivering into `maildir`."""

    def __init__(self, host: str, port: int, maildir: Path):
        self.host = host
        self.port = port
        self.maildir = Path(maildir)
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        if self._controller is not None:
            return
        ensure_port_free(self.host, self.port, setting="SMTP_URL")
        smtp_log = logging.getLogger("mail.log")
        smtp_log.addFilter(_LOGIN_DATA_FILTER)  # no-op when already present
        if smtp_log.level == logging.NOTSET:
            # aiosmtpd logs every SMTP command at INFO: ten lines per mail drown the web
            # and worker output of `talentloop run`. Explicit configuration still wins.
            smtp_log.setLevel(logging.WARNING)
        box = open_maildir(self.maildir)
        controller = Controller(
            _MaildirHandler(box),
            hostname=self.host,
            port=self.port,
            # A fixed name: the default, socket.getfqdn(), can stall for seconds on
            # machines with slow reverse DNS.
            server_hostname="talentloop-mailsink",
            authenticator=_accept_any_login,
            # AUTH advertised and accepted without TLS, but not required: the sink
            # speaks plain SMTP on loopback only.
            auth_required=False,
            auth_require_tls=False,
        )
        try:
            controller.start()
        except Exception as error:
            raise RuntimeServiceError(
                f"mail sink could not listen on {self.host}:{self.port}: {error}"
            ) from error
        self._controller = controller
        logger.info("mail sink listening on %s, delivering to %s", self.url, self.maildir)

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# -- reading ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runtime.mailsink", description="talentloop development mail sink"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=Path("var/mail"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    stop_requested = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop_requested.set())

    sink = MailSink(args.host, args.port, args.maildir)
    try:
        sink.start()
    except RuntimeServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"mail sink on {sink.url}, delivering to {args.maildir}", flush=True)
    try:
        while not stop_requested.wait(1.0):
            pass
    finally:
        with contextlib.suppress(Exception):
            sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
