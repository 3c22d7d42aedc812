"""A ceiling on uploaded files that holds while the request is being read.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out, and FILE_UPLOAD_MAX_MEMORY_SIZE only
decides whether a file is kept in memory or on disk: a 200 MB file on the import page went
through to the CSV parser, which grew the web worker to 2 GB until gunicorn killed it.
`SizeLimitedUploadHandler` (first of FILE_UPLOAD_HANDLERS) stops any file past
IMPORT_FILE_MAX_SIZE (files past DATA_UPLOAD_MAX_MEMORY_SIZE stream to a temporary file and
are imported in the background): at once when the request's Content-Length says it is too big,
else as its bytes arrive. The rest of the body is read, in chunks, and thrown away, so that
the browser gets the page saying so (not a reset connection), and neither memory nor disk
grows. (Not by Django's own draining, which reads line by line: a file without line breaks
would be one line, held whole.)
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat

# Room in the request for the form's other fields and the multipart headers.
FORM_OVERHEAD = 64 * 1024
DRAIN_CHUNK = 64 * 1024


def upload_limit() -> int:
    """The largest file an upload may carry (bigger than the page's own limit: such a file is
    imported in the background, from the temporary file it streamed to)."""
    return settings.IMPORT_FILE_MAX_SIZE


def body_limit() -> int:
    """Files up to this size are imported within the request; bigger ones in the background."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def body_limit_text() -> str:
    return filesizeformat(body_limit()).replace("\xa0", " ")


def upload_limit_text() -> str:
    return filesizeformat(upload_limit()).replace("\xa0", " ")


def upload_stopped(request) -> bool:
    """Whether SizeLimitedUploadHandler stopped a file of this request."""
    return getattr(request, "upload_too_large", False)


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops a file upload past upload_limit() bytes (see the module docstring); the file is
    then simply absent from request.FILES, and upload_stopped(request) is true."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.input_data = input_data
        self.received = 0
        self.announced_too_large = content_length > upload_limit() + FORM_OVERHEAD
        return None  # the usual parser reads the body

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.announced_too_large:
            self._stop()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > upload_limit():
            self._stop()
        return raw_data  # on to the next handler, which keeps it

    def file_complete(self, file_size):
        return None  # the next handler makes the file

    def _stop(self):
        self.request.upload_too_large = True
        while self.input_data.read(DRAIN_CHUNK):  # read the rest, keep none of it
            pass
        raise StopUpload(connection_reset=True)  # drained already: nothing left for Django
