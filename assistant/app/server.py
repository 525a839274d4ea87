"""`serve`: the chat page and the HTTP API on one port (FastAPI, with Gradio mounted at /).

Without a login it serves on a loopback address only: a non-loopback ``--host`` needs
``--auth`` (the page asks for the login, the API for the password as a bearer token), or
``--insecure`` to say the network is trusted.
"""

from __future__ import annotations

import ipaddress
import signal
import sys
import threading

from assistant.engine.service import Assistant
from corpus import UsageError

from .via_server import announced, store_name


def check_exposure(host: str, credentials: tuple[str, str] | None, insecure: bool) -> None:
    """Refuse to serve beyond this machine without a login, unless told the network is
    trusted."""
    if credentials or insecure or _loopback(host):
        return
    raise UsageError(f"serving on {host} without a login would let anyone who reaches this "
                     "machine read the corpus: add --auth USER:PASSWORD, or --insecure if the "
                     "network is trusted.")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_server(app: Assistant, credentials: tuple[str, str] | None = None):
    """The FastAPI app: the API's routes first, then the page at /."""
    import gradio as gr
    from fastapi.responses import HTMLResponse

    from .api import build_api
    from .ui.examples import page_title, with_preview
    from .ui.layout import build_app, page_assets

    lock = threading.Lock()  # the page and the API take turns with the models and store
    demo = build_app(app, lock)
    demo.queue(default_concurrency_limit=1)
    api = build_api(app, lock, credentials)

    @api.middleware("http")
    async def _preview(request, call_next):  # the page's <title> and link preview
        response = await call_next(request)
        if request.method != "GET" or request.url.path != "/" or not response.headers.get(
                "content-type", "").startswith("text/html"):
            return response
        body = b"".join([part async for part in response.body_iterator])
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        page = with_preview(body.decode("utf-8"), *page_title(app.catalogue()))
        return HTMLResponse(page, status_code=response.status_code, headers=headers)

    return gr.mount_gradio_app(api, demo, path="/", auth=credentials, show_error=False,
                               footer_links=["api"], max_file_size="50mb", **page_assets())


def serve(app: Assistant, host: str, port: int, credentials: tuple[str, str] | None = None,
          insecure: bool = False) -> None:
    """Serve the page and the API on an indexed store (the CLI indexes an empty one first);
    never through a public share link."""
    import uvicorn

    check_exposure(host, credentials, insecure)
    app.ask("warm-up")  # load models and indexes before the first visitor, not during
    server = build_server(app, credentials)
    print(f"serving on http://{host}:{port}" + (" (login required)" if credentials else "")
          + f"\nAPI: http://{host}:{port}/api/ask, OpenAI-compatible /v1, docs at /docs",
          file=sys.stderr, flush=True)
    # uvicorn shuts down gracefully on SIGTERM, then raises it again under the handler found
    # before it: make that one an exit, so the address is removed on the way out
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    # `ask` finds this server on any port
    with announced(app.config, store_name(app.config), host, port):
        # open streams (a page's event stream) get 5 s to end: a stop is never held up
        uvicorn.run(server, host=host, port=port, log_level="warning",
                    timeout_graceful_shutdown=5)
