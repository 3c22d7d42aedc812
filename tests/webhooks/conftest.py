"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that records every request and
answers with the status codes a test queues, and an endpoint pointing at it."""

import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: Message  # looked up without regard to case, as a web framework does
    body: bytes
    at: float


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Status codes to answer, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.requests


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, self.headers, body, time.time()))
            if state.delay:
                time.sleep(state.delay)
            code = state.answers.pop(0) if state.answers else 200
            answer = f"answer {code}".encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(db, receiver):
    from webhooks.models import Endpoint

    return Endpoint.objects.create(
        name="CRM",
        url=receiver.url,
        secret="whsec-test-secret",
        events=["account.colour_changed", "task.opened", "account.churned"],
    )
