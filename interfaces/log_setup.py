"""How the product's logs are written: one stream, text or JSON lines, every record passed through the token redaction."""

from __future__ import annotations

import logging.config
from contextvars import ContextVar
from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# The fields every JSON line carries besides what the record's `extra` adds (incident_id, position,
# duration_ms, ...); python-json-logger renames them to names a log shipper expects.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


# Set for the length of an HTTP request (interfaces/http/request_log.py); copied onto every record
# written meanwhile, the command's line from the desk included (run_in_threadpool carries the context).
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")


class WithRequestId(logging.Filter):
    """Puts the current request's id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def log_format_named(value: str) -> LogFormat:
    """INCIDENT_LOG_FORMAT's value, or a ValueError naming the setting and the choices."""
    for known in LOG_FORMATS:
        if value.lower() == known:
            return known
    raise ValueError(f"INCIDENT_LOG_FORMAT: {value!r} is not one of {', '.join(LOG_FORMATS)}")


def log_level_named(value: str) -> str:
    """INCIDENT_LOG_LEVEL's value, or a ValueError naming the setting and the choices."""
    if value.lower() not in LOG_LEVELS:
        raise ValueError(f"INCIDENT_LOG_LEVEL: {value!r} is not one of {', '.join(LOG_LEVELS)}")
    return value.lower()


def json_formatter() -> JsonFormatter:
    """JSON lines: the record's own fields renamed for a log shipper, its `extra` fields, UTF-8 text as is.

    uvicorn's `color_message` (the message again, with terminal colour codes) is left out.
    """
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        json_ensure_ascii=False,
    )


def log_config(log_format: LogFormat = "text", level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the server: the product's loggers and uvicorn's on one handler.

    uvicorn's access log is off (`interfaces/http/request_log.py` writes one line per request, with its
    duration); its error log stays, on the same handler, so a JSON deployment gets only JSON lines.
    """
    formatter: dict[str, Any] = {"()": json_formatter} if log_format == "json" else {"format": TEXT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact_tokens": {"()": "interfaces.log_redaction.RedactTokens"},
            "request_id": {"()": "interfaces.log_setup.WithRequestId"},
        },
        "formatters": {"product": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "product",
                "filters": ["redact_tokens", "request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            # uvicorn's loggers carry their own handlers unless told otherwise: send them to ours.
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # Alembic says at every start which DDL mode it assumes: only its warnings are news.
            "alembic": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def configure_logging(log_format: LogFormat = "text", level: str = "info") -> None:
    """Configure the process's logging (the CLI's `serve` and `project` call it once, at start)."""
    logging.config.dictConfig(log_config(log_format, level))
