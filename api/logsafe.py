"""No secret in the logs: API tokens (`sg_...`) and the `token` query parameter of export links are redacted from
every log record (uvicorn's access and error logs, and ours) before any handler sees it, tracebacks included."""
from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# `?token=...` (or `&token=`) in a logged URL, whatever the token looks like; and any of our secrets anywhere
_TOKEN_PARAMETER = re.compile(r"(?i)([?&;]token=)[^&\s\"';]*")
_SECRET = re.compile(r"\bsg_[A-Za-z0-9_\-]{6,}")


def redact(text: str) -> str:
    if "token=" not in text.lower() and "sg_" not in text:
        return text
    return _SECRET.sub(REDACTED, _TOKEN_PARAMETER.sub(r"\1" + REDACTED, text))


def _redacted(value):
    return redact(value) if isinstance(value, str) else value


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redacted(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redacted(v) for k, v in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None:
        # formatted now, redacted; handlers use exc_text when it is set
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


def install() -> None:
    """Redact every log record of this process from now on (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts_secrets", False):
        return

    def redacting_factory(*args, **kwargs):
        return _redact_record(factory(*args, **kwargs))
    redacting_factory.redacts_secrets = True
    logging.setLogRecordFactory(redacting_factory)
