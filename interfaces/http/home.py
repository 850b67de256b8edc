"""The front page until the live board exists: what is running, in Chinese and English."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["home"])

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>网点应急指挥 Incident command</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:40rem;padding:0 1rem}}
code{{background:#eee;padding:0 .3em}}</style></head>
<body><h1>网点应急指挥 <small>Incident command</small></h1>
<p>服务运行中，事件日志位置 <code>{position}</code>。<br>The service is running; the log is at position
<code>{position}</code>.</p>
<ul><li><a href="/docs">API 文档 API docs</a></li><li><a href="/healthz">/healthz</a> ·
<a href="/readyz">/readyz</a></li></ul></body></html>"""


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> str:
    """A plain status page: the product is up and its log's head position."""
    position = request.app.state.services.desk.recorder.max_notification_id() or 0
    return PAGE.format(position=position)
