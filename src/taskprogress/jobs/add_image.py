"""``APIAddImageMsg``: ZStack's AddImage as a long job. Downloads an image into the image store folder.

jobData (ZStack's APIAddImageMsg fields; the others it may carry, such as ``backupStorageUuids`` or
``mediaType``, are accepted and ignored)::

    {"name": "ttylinux", "url": "http://host/ttylinux.qcow2", "format": "qcow2",
     "md5sum": "<32 hex>", "sha256": "<64 hex>"}

- ``url``: http, https or file (an absolute path on the server). ``format`` is optional: without it the
  format is read from the image's first bytes (qcow2, vmdk, vhd, vhdx, iso; anything else is raw).
- The download streams into a temporary file in the image store folder, hashing as it goes, and is renamed to
  ``<jobUuid>.<format>`` only once complete and verified. Any failure, cancellation or suspension removes the
  temporary file, so no partial image is ever left.
- Progress: a sub-task "Download the image[%s]" whose reports cover 0-95 % and carry
  ``{"bytesDone", "bytesTotal", "speed"}`` (bytes, bytes per second) in ``opaque``, at most one every 0.2 s.
  A server that does not announce the length gets ``bytesTotal: null`` and a percent that creeps forward
  (``report_until``) until the download ends.
- Checksums: sha256 is always computed (on a thread of its own, overlapping the transfer) and recorded. md5
  costs more than the whole download on a fast link (about 0.4 s per 300 MB here, where curl fetches it in
  0.2 s), so it is computed only when ``md5sum`` is given to be verified; the result's ``md5sum`` is null
  otherwise.
- Resume after a suspension restarts the download from the beginning: simple, and always correct.

Result: ``{"name", "size", "md5sum", "sha256", "path", "format"}``.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import taskprogress
from taskprogress.jobs.download_meter import DownloadMeter
from taskprogress.jobs.errors import ChecksumMismatch, DownloadFailed, InvalidJobData
from taskprogress.jobs.image_format import detect_format
from taskprogress.jobs.registry import JobContext, JobType
from taskprogress.reporting.interruptions import Interrupted

JOB_NAME = "APIAddImageMsg"
CHUNK_SIZE = 1 << 20  # large reads keep the per-chunk Python overhead negligible
STALL_TIMEOUT = 60.0  # a server that sends nothing for this long fails the download
CANCEL_POLL = 0.1  # how often a blocked network read is checked for a cancellation
UNKNOWN_LENGTH_TICK = 1.0  # seconds per percent point while the length is unknown

_HEX = {"md5sum": re.compile(r"[0-9a-fA-F]{32}"), "sha256": re.compile(r"[0-9a-fA-F]{64}")}
_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,32}")
_SCHEMES = ("http", "https", "file")


@dataclass(frozen=True)
class ImageRequest:
    """Validated jobData of an APIAddImageMsg."""

    name: str
    url: str
    scheme: str
    format: str | None
    md5sum: str | None  # lower-case hex
    sha256: str | None  # lower-case hex

    @property
    def file_path(self) -> Path:
        """The local path of a file:// url."""
        return Path(urllib.request.url2pathname(urllib.parse.urlsplit(self.url).path))


def parse_image_request(job_data: Mapping[str, Any]) -> ImageRequest:
    """Validate APIAddImageMsg's jobData; raises ``InvalidJobData`` naming the bad field."""
    if not isinstance(job_data, Mapping):
        raise InvalidJobData(f"jobData must be a JSON object, got {type(job_data).__name__}")
    name = job_data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidJobData("jobData.name is required: a non-empty string")
    if len(name) > 255:
        raise InvalidJobData(f"jobData.name is at most 255 characters, got {len(name)}")
    url = job_data.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidJobData("jobData.url is required: an http, https or file url")
    scheme = _check_url(url)
    image_format = job_data.get("format")
    if image_format is not None and (not isinstance(image_format, str) or not _FORMAT.fullmatch(image_format)):
        raise InvalidJobData(f"jobData.format must be a short name such as qcow2 or raw, got {image_format!r}")
    sums = {}
    for field, pattern in _HEX.items():
        value = job_data.get(field)
        if value is not None and (not isinstance(value, str) or not pattern.fullmatch(value)):
            digits = 32 if field == "md5sum" else 64
            raise InvalidJobData(f"jobData.{field} must be {digits} hexadecimal digits, got {value!r}")
        sums[field] = value.lower() if value else None
    return ImageRequest(name, url, scheme, image_format, sums["md5sum"], sums["sha256"])


def _check_url(url: str) -> str:
    if len(url) > 2048:
        raise InvalidJobData(f"jobData.url is at most 2048 characters, got {len(url)}")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidJobData(f"jobData.url must not contain spaces or control characters: {url!r}")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for a malformed one
    except ValueError as exc:
        raise InvalidJobData(f"jobData.url is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise InvalidJobData(f"jobData.url must be an http, https or file url, got scheme {parts.scheme!r}")
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise InvalidJobData(f"a file url is file:///absolute/path on the server, got {url!r}")
    elif not parts.hostname:
        raise InvalidJobData(f"jobData.url has no host: {url!r}")
    return scheme


def validate(job_data: Mapping[str, Any]) -> None:
    parse_image_request(job_data)


def add_image(context: JobContext) -> dict[str, Any]:
    request = parse_image_request(context.job_data)
    folder = context.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(folder, context.job_uuid)  # from a run that died with its process
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{context.job_uuid}-", suffix=".part")
    temp = Path(temp_name)
    try:
        with taskprogress.subtask("Download the image[%s]", request.name), taskprogress.stage(0, 95):
            with os.fdopen(fd, "wb", buffering=0) as out:  # chunks are large: a buffer would only copy them
                fetched = _download(request, out)
        taskprogress.step("verify checksum of the image[%s]", request.name)
        _verify(request, fetched)
        image_format = request.format or detect_format(fetched.head)
        taskprogress.step("Save the image[%s] to the image store", request.name)
        final = folder / f"{context.job_uuid}.{image_format}"
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    context.logger.info("image %s downloaded to %s (%d bytes)", request.name, final, fetched.size)
    return {
        "name": request.name,
        "size": fetched.size,
        "md5sum": fetched.md5sum,
        "sha256": fetched.sha256,
        "path": str(final),
        "format": image_format,
    }


@dataclass(frozen=True)
class _Fetched:
    size: int
    sha256: str
    md5sum: str | None
    head: bytes  # the first bytes, to recognise the format


def _download(request: ImageRequest, out: BinaryIO) -> _Fetched:
    with _open_source(request) as (read, total):
        meter = DownloadMeter(total, want_md5=request.md5sum is not None)
        ticker = taskprogress.report_until(99, UNKNOWN_LENGTH_TICK) if total is None else None
        try:
            while True:
                try:
                    chunk = read(CHUNK_SIZE)
                except (OSError, http.client.HTTPException) as exc:
                    taskprogress.check()  # a cancel shuts the connection down: say Canceled, not "reset"
                    raise DownloadFailed(f"failed to download the image[{request.name}]: {exc}") from exc
                if not chunk:
                    break
                meter.add(chunk)
                _write_all(out, chunk)
            taskprogress.check()
            if total is not None and meter.done != total:
                raise DownloadFailed(f"failed to download the image[{request.name}]: got {meter.done} of {total} bytes")
        finally:
            sha256, md5sum = meter.close()
            if ticker is not None:
                ticker.stop()
        meter.finish()
    return _Fetched(meter.done, sha256, md5sum, bytes(meter.head))


def _write_all(out: BinaryIO, chunk: bytes) -> None:
    remaining = memoryview(chunk)
    while remaining:
        remaining = remaining[out.write(remaining) :]  # an unbuffered write may take only part


ReadChunk = Callable[[int], bytes]


@contextmanager
def _open_source(request: ImageRequest) -> Iterator[tuple[ReadChunk, int | None]]:
    """A function reading up to n bytes of the image (b"" at the end), and its length if known."""
    if request.scheme == "file":
        path = request.file_path
        try:
            source = open(path, "rb", buffering=0)
        except OSError as exc:
            raise DownloadFailed(f"cannot read the image[{request.name}] at {path}: {exc.strerror}") from None
        with source:
            yield source.read, os.fstat(source.fileno()).st_size
        return
    http_request = urllib.request.Request(request.url, headers={"User-Agent": "taskprogress"})
    try:
        response = urllib.request.urlopen(http_request, timeout=STALL_TIMEOUT)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DownloadFailed(
            f"failed to download the image[{request.name}]: the server answered {exc.code} {exc.reason}"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadFailed(f"failed to download the image[{request.name}]: {reason}") from None
    with response, _shutdown_on_interrupt(response):
        # read1: one read from the socket, so a slow server still gives regular progress reports.
        yield response.read1, response.length


@contextmanager
def _shutdown_on_interrupt(response: http.client.HTTPResponse) -> Iterator[None]:
    """While the block runs, a cancellation shuts the connection down, so a read blocked on a stalled server
    returns at once instead of after ``STALL_TIMEOUT``."""
    connection = socket.socket(fileno=os.dup(response.fileno()))  # our own handle: the fd stays valid
    finished = threading.Event()
    lock = threading.Lock()

    def watch() -> None:
        while not finished.wait(CANCEL_POLL):
            try:
                taskprogress.check()
            except Interrupted:
                with lock:
                    if not finished.is_set():
                        connection.shutdown(socket.SHUT_RDWR)
                return

    watcher = threading.Thread(target=taskprogress.wrap(watch), name="taskprogress-download-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            finished.set()
        watcher.join()
        connection.close()


def _verify(request: ImageRequest, fetched: _Fetched) -> None:
    for field, expected, actual in (
        ("md5sum", request.md5sum, fetched.md5sum),
        ("sha256", request.sha256, fetched.sha256),
    ):
        if expected is not None and expected != actual:
            raise ChecksumMismatch(
                f"the image[{request.name}] does not match its {field}: expected {expected}, got {actual}"
            )


def _remove_leftovers(folder: Path, job_uuid: str) -> None:
    for leftover in folder.glob(f".{job_uuid}-*.part"):
        leftover.unlink(missing_ok=True)


ADD_IMAGE = JobType(
    JOB_NAME,
    add_image,
    supports_cancel=True,
    supports_suspend=True,
    validate=validate,
    task_name="class org.zstack.image.AddImageLongJob",  # what ZStack writes as the records' taskName
)
