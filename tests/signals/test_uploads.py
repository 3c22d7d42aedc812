"""Upload limits: the import page imports a file up to DATA_UPLOAD_MAX_MEMORY_SIZE at once and a
bigger one in the background; it refuses a file over IMPORT_FILE_MAX_SIZE with a message pointing
to the command line, without the file ever growing the process; the API refuses a body over
DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413."""

import io
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from signals.models import UsageRecord
from tests.api.conftest import client_with_token, personal_token
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

HEADER = b"account,date,metric,value\n"
LINE = b"ACME-001,2026-11-01,logins,182\n"


@pytest.fixture
def acme(db):
    return AccountFactory(external_id="ACME-001", owner=None)


def csv_of(size: int) -> bytes:
    return (HEADER + LINE * (size // len(LINE) + 1))[:size]


def upload(client, content: bytes, kind: str = "usage"):
    return client.post(
        "/import/", {"kind": kind, "file": SimpleUploadedFile("big.csv", content, "text/csv")}
    )


def test_a_file_over_the_limit_is_refused_saying_to_use_the_command_line(
    client, manager, acme, settings
):
    settings.IMPORT_FILE_MAX_SIZE = 100_000
    client.force_login(manager)
    response = upload(client, csv_of(300_000))
    assert response.status_code == 413
    html = response.content.decode()
    assert (
        "The file is larger than 97.7 KB, the most the import page takes. Import it on the "
        "command line instead: python manage.py import_csv usage FILE"
    ) in html
    assert not UsageRecord.objects.exists()


def test_a_file_just_over_the_limit_is_stopped_as_it_arrives(client, manager, acme, settings):
    # Within the room left for the form's other fields, so only the bytes received tell.
    settings.IMPORT_FILE_MAX_SIZE = 100_000
    client.force_login(manager)
    response = upload(client, csv_of(100_001))
    assert response.status_code == 413
    assert "python manage.py import_csv usage FILE" in response.content.decode()
    assert not UsageRecord.objects.exists()


def test_a_file_at_the_limit_is_imported(client, manager, acme, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    client.force_login(manager)
    lines = [f"ACME-001,2026-11-01,metric{n:05},1\n".encode() for n in range(4000)]
    content = (HEADER + b"".join(lines))[:100_000]
    content = content[: content.rindex(b"\n") + 1]
    response = upload(client, content)
    assert response.status_code == 200
    assert "<h2>Imported</h2>" in response.content.decode()
    assert UsageRecord.objects.count() == content.count(b"\n") - 1


def test_a_file_over_the_page_limit_is_imported_in_the_background(
    client, manager, acme, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    settings.IMPORT_DIR = tmp_path
    client.force_login(manager)
    lines = [f"ACME-001,2026-11-01,metric{n:05},1\n".encode() for n in range(4000)]
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued after the commit
        response = upload(client, HEADER + b"".join(lines))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "big.csv: 4000 of 4000 usage row(s) imported (4000 new" in page.content.decode()
    assert UsageRecord.objects.count() == 4000
    assert not list(tmp_path.iterdir())  # the stored upload is removed once imported


def test_the_page_says_the_limits_before_anyone_uploads(client, manager):
    client.force_login(manager)
    html = client.get("/import/").content.decode()
    assert (
        "Up to 10.0 MB at once; bigger files, up to 1.0 GB, are imported in the background" in html
    )


class Multipart:
    """A multipart/form-data body of one CSV file of `size` bytes, made as it is read, as from
    a client streaming a huge file: the test itself never holds it. Reads return at most 64 KB,
    as reads from a socket do."""

    boundary = "HealthscoreBoundary"

    def __init__(self, size: int, fields: dict[str, str]):
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        head = "".join(parts) + (
            f"--{self.boundary}\r\nContent-Disposition: form-data; "
            'name="file"; filename="huge.csv"\r\nContent-Type: text/csv\r\n\r\n'
        )
        self.head = io.BytesIO(head.encode())
        self.tail = io.BytesIO(f"\r\n--{self.boundary}--\r\n".encode())
        self.left = size
        self.block = LINE * (65536 // len(LINE) + 1)
        self.length = len(self.head.getvalue()) + size + len(self.tail.getvalue())

    def read(self, n: int = -1) -> bytes:
        n = 65536 if n is None or n < 0 else min(n, 65536)
        if chunk := self.head.read(n):
            return chunk
        if self.left:
            chunk = self.block[: min(n, self.left)]
            self.left -= len(chunk)
            return chunk
        return self.tail.read(n)

    def readline(self, n: int = -1) -> bytes:
        # A file without line breaks is one line: reading by lines would hold it whole.
        raise AssertionError("the body was read line by line")


def test_a_huge_upload_does_not_grow_the_process(client, manager, acme, settings):
    settings.IMPORT_FILE_MAX_SIZE = 10 * 1024 * 1024
    client.force_login(manager)
    client.get("/import/")  # a CSRF cookie
    token = client.cookies["csrftoken"].value
    body = Multipart(200 * 1024 * 1024, {"csrfmiddlewaretoken": token, "kind": "usage"})
    environ = RequestFactory()._base_environ(
        PATH_INFO="/import/",
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={Multipart.boundary}",
        CONTENT_LENGTH=str(body.length),
        HTTP_COOKIE="; ".join(f"{k}={v.value}" for k, v in client.cookies.items()),
        **{"wsgi.input": body},
    )
    tracemalloc.start()
    try:
        response = client.handler(environ)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert "python manage.py import_csv usage FILE" in response.content.decode()
    assert body.left == 0  # the body was read to its end: the browser gets the page
    assert peak < 20 * 1024 * 1024, f"{peak / 2**20:.0f} MB allocated for a 200 MB upload"


def test_an_api_body_over_the_limit_is_a_json_413(manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    client = client_with_token(personal_token(manager))
    row = {"account": "ACME-001", "date": "2026-11-01", "metric": "logins", "value": 1}
    response = client.post("/api/v1/usage/", [row] * 100, format="json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The body is larger than 2.0 KB, the most a request may carry; send the rows "
        "in several requests."
    }
