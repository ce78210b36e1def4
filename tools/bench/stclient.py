"""A Streamlit session without a browser: speaks the app's own websocket protocol (protobuf over /_stcore/stream).

One `Session` is what one browser tab is to the server: its own websocket, session state and script runs. It asks
for a page as the browser does (a `rerun_script` message with the page's URL path and query string), reads what
the server sends back until the run has finished, and keeps what a person would see: the navigation's pages, the
title and the text of the main area and the sidebar, alerts, table cells, widgets and download buttons. It can
fill in and submit widgets by their keys, as the sign-in form needs.

Used by the real-server page-access tests (AppTest cannot see how a real server picks a page) and by the load test.
Nothing here judges anything: callers assert on what `Run` holds.
"""
from __future__ import annotations

import asyncio
import http.cookies
import io
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# ForwardMsg.ScriptFinishedStatus: a run stopped early for a rerun (st.rerun, a widget change) is followed by another.
FINISHED_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
# Fields of element protos that hold text a person reads.
TEXT_FIELDS = ("body", "label", "message", "text", "placeholder", "help")


@dataclass
class Widget:
    kind: str       # the element type: text_input, button, selectbox, ...
    id: str         # Streamlit's widget id (it ends with the user key, when the widget has one)
    label: str
    form_id: str = ""


@dataclass
class Run:
    """What one script run sent: enough to say what a visitor saw."""
    page_name: str
    seconds: float = 0.0
    status: str = ""
    pages: list[dict] = field(default_factory=list)        # the navigation: page_name, url_pathname, section
    elements: list[tuple[str, str]] = field(default_factory=list)   # (element type, its text), in order sent
    main: list[tuple[str, str]] = field(default_factory=list)       # the same, of the main area only
    widgets: list[Widget] = field(default_factory=list)
    page_not_found: bool = False
    messages: int = 0

    @property
    def page_names(self) -> list[str]:
        return [p["page_name"] for p in self.pages]

    @property
    def url_paths(self) -> list[str]:
        return [p["url_pathname"] for p in self.pages]

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, text in self.elements if kind is None or k == kind]

    @property
    def text(self) -> str:
        return "\n".join(self.texts())

    def kinds(self) -> set[str]:
        return {k for k, _ in self.elements}

    @property
    def main_text(self) -> str:
        return "\n".join(text for _, text in self.main)

    @property
    def headings(self) -> list[str]:
        """The headings' words (title first), without the "h:h1" tag line."""
        return [text.rsplit("\nh:", 1)[0] for kind, text in self.elements if kind == "heading"]

    def widget(self, key: str) -> Widget:
        found = [w for w in self.widgets if w.id == key or w.id.endswith(f"-{key}")]
        if not found:
            raise KeyError(f"no widget with key {key!r} in this run; widgets: {[w.id for w in self.widgets]}")
        return found[-1]


def _arrow_text(data: bytes) -> str:
    """The cells of an Arrow table, tab-separated, one row a line (so a test can look for a value)."""
    import pyarrow as pa
    try:
        table = pa.ipc.open_stream(io.BytesIO(data)).read_all()
    except Exception:
        return ""
    columns = [str(c) for c in table.column_names]
    rows = ["\t".join(columns)]
    for row in table.to_pylist():
        rows.append("\t".join("" if v is None else str(v) for v in row.values()))
    return "\n".join(rows)


def _element(element: Any, run: Run, *, in_main: bool) -> None:
    kind = element.WhichOneof("type")
    if kind is None:
        return
    body = getattr(element, kind)
    parts = []
    for name in TEXT_FIELDS:
        if name in body.DESCRIPTOR.fields_by_name:
            value = getattr(body, name)
            if isinstance(value, str) and value:
                parts.append(value)
    if kind in ("arrow_data_frame", "arrow_table"):
        parts.append(_arrow_text(body.data))
    elif kind == "exception":
        parts.append(body.type)
    elif kind == "heading":
        parts.append(f"h:{body.tag}")
    run.elements.append((kind, "\n".join(parts)))
    if in_main:
        run.main.append(run.elements[-1])
    if "id" in body.DESCRIPTOR.fields_by_name and body.id:
        run.widgets.append(Widget(kind=kind, id=body.id, label=getattr(body, "label", ""),
                                  form_id=getattr(body, "form_id", "")))


class Session:
    """One visitor's session with a running app: `async with Session(url) as s: run = await s.open("explorer")`."""

    def __init__(self, url: str, *, timeout: float = 60):
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.ws_url = f"ws://{parts.netloc}/_stcore/stream"
        self.timeout = timeout
        self.ws: Any = None
        self.pages: list[dict] = []
        self.page = ""
        self.session_id = ""
        self.xsrf = ""
        self.states: dict[str, tuple[str, Any]] = {}   # widget id -> (WidgetState field, value), sent on every run

    async def __aenter__(self) -> Session:
        # As a browser does: the health check first (it sets the XSRF cookie), then the websocket with the token.
        self.xsrf = await asyncio.to_thread(self._xsrf_cookie)
        headers = {"Cookie": f"_streamlit_xsrf={self.xsrf}"} if self.xsrf else None
        protocols = ["streamlit", self.xsrf] if self.xsrf else ["streamlit"]
        self.ws = await websockets.connect(self.ws_url, subprotocols=protocols, origin=self.origin,
                                           additional_headers=headers, max_size=None, open_timeout=self.timeout)
        return self

    def _xsrf_cookie(self) -> str:
        with urllib.request.urlopen(f"{self.origin}/_stcore/health", timeout=self.timeout) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie(header)
                if "_streamlit_xsrf" in jar:
                    return jar["_streamlit_xsrf"].value
        return ""

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def open(self, page: str = "", query: str = "") -> Run:
        """Ask for a page by its URL path ("" is the default page), as typing its address does."""
        if page != self.page:
            self.states.clear()   # another page's widgets
        self.page = page
        return await self._run(page_name=page, query=query)

    async def submit(self, values: dict[str, str], button: str | None, run: Run) -> Run:
        """Fill in text widgets (by key) and press a button or form's submit button (by key), as a person does.

        The values stay set for later runs, as a browser keeps them; a button's press counts for one run."""
        for key, value in values.items():
            self.states[run.widget(key).id] = ("string_value", value)
        triggers = [("trigger_value", run.widget(button).id, True)] if button else []
        return await self._run(page_name=self.page, query="", triggers=triggers)

    async def choose(self, key: str, option: str, run: Run) -> Run:
        """Pick a selectbox's option by its words (Streamlit 1.67 sends the chosen option as text)."""
        self.states[run.widget(key).id] = ("string_value", option)
        return await self._run(page_name=self.page, query="")

    async def upload(self, key: str, name: str, data: bytes, run: Run) -> Run:
        """Put a file into a file uploader, as the browser does: ask for an address, PUT the file there, then
        tell the server the widget holds it."""
        widget = run.widget(key)
        request = BackMsg()
        request.file_urls_request.request_id = uuid.uuid4().hex
        request.file_urls_request.file_names.append(name)
        request.file_urls_request.session_id = self.session_id
        await self.ws.send(request.SerializeToString())
        urls = None
        while urls is None:
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=self.timeout))
            if fwd.WhichOneof("type") == "file_urls_response":
                if fwd.file_urls_response.error_msg:
                    raise RuntimeError(f"the server refused an upload address: {fwd.file_urls_response.error_msg}")
                urls = fwd.file_urls_response.file_urls[0]
        await asyncio.to_thread(self._put, urls.upload_url, name, data)
        from streamlit.proto.Common_pb2 import FileUploaderState
        state = FileUploaderState()
        info = state.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        self.states[widget.id] = ("file_uploader_state_value", state)
        return await self._run(page_name=self.page, query="")

    def _put(self, address: str, name: str, data: bytes) -> None:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        url = address if address.startswith("http") else f"{self.origin}{address}"
        request = urllib.request.Request(url, data=body, method="PUT", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": self.xsrf,
            "Cookie": f"_streamlit_xsrf={self.xsrf}", "Origin": self.origin})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status not in (200, 204):
                raise RuntimeError(f"the upload answered {response.status}")

    async def _run(self, *, page_name: str, query: str, triggers: list | None = None) -> Run:
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = query
        client.page_name = page_name
        for widget_id, (kind, value) in self.states.items():
            state = client.widget_states.widgets.add()
            state.id = widget_id
            if kind == "file_uploader_state_value":
                state.file_uploader_state_value.CopyFrom(value)
            else:
                setattr(state, kind, value)
        for kind, widget_id, value in triggers or []:
            state = client.widget_states.widgets.add()
            state.id = widget_id
            setattr(state, kind, value)
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run(page_name=page_name)
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the run of page {page_name!r} did not finish in {self.timeout:.0f} s")
            raw = await asyncio.wait_for(self.ws.recv(), timeout=left)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            run.messages += 1
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fwd.new_session.initialize.session_id or self.session_id
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                path = list(fwd.metadata.delta_path)
                _element(fwd.delta.new_element, run, in_main=bool(path) and path[0] == 0)   # 0: main, 1: sidebar
            elif kind == "navigation":
                run.pages = [{"page_name": p.page_name, "url_pathname": p.url_pathname,
                              "section": p.section_header} for p in fwd.navigation.app_pages]
                self.pages = run.pages
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "script_finished":
                if fwd.script_finished == FINISHED_EARLY_FOR_RERUN:
                    run = Run(page_name=page_name, messages=run.messages)   # the rerun's output replaces this
                    continue
                run.status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                run.seconds = time.perf_counter() - started
                if not run.pages:
                    run.pages = self.pages
                return run


async def sign_in(url: str, email: str, password: str, *, timeout: float = 60) -> tuple[Session, Run]:
    """A session signed in through the app's own sign-in form; the caller closes it (`await session.ws.close()`)."""
    session = Session(url, timeout=timeout)
    await session.__aenter__()
    form = await session.open("sign-in")
    submit = next((w for w in form.widgets if w.kind == "button" and w.form_id), None)
    if submit is None:
        raise RuntimeError(f"no sign-in form on the sign-in page; it showed: {form.text[:300]!r}")
    after = await session.submit({"sign_in_email": email, "sign_in_password": password}, submit.id, form)
    return session, after
