"""APIAddImageMsg over a real local HTTP server and over file://: progress, checksums, cancel, bad data."""

import contextlib
import hashlib
import http.server
import os
import threading
import time
import uuid

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents, wait_until, walk
from taskprogress.jobs import (
    ChecksumMismatch,
    DownloadFailed,
    InvalidJobData,
    JobContext,
    LongJobEvent,
    builtin_registry,
    execute_job,
)

ADD_IMAGE = builtin_registry().get("APIAddImageMsg")
IMAGE_SIZE = 4 * 1024 * 1024 + 123  # not a multiple of any chunk size


class ImageHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.image`` at any path; the server's settings shape the transfer (pace, stall, length)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server = self.server
        if self.path.startswith("/missing"):
            self.send_error(404, "Not Found")
            return
        body = server.image
        self.send_response(200)
        if server.announce_length:
            self.send_header("Content-Length", str(server.claimed_length or len(body)))
        else:
            self.send_header("Connection", "close")  # the end of the body is the end of the connection
        self.end_headers()
        try:
            for offset in range(0, len(body), server.piece):
                if offset >= server.stall_after:
                    server.stalled.set()
                    server.release.wait(60)
                    return
                self.wfile.write(body[offset : offset + server.piece])
                if server.pause:
                    time.sleep(server.pause)  # the server's pace, like a slow link
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a canceled download)
        self.close_connection = True

    def log_message(self, *_args):
        pass


@pytest.fixture
def image_server():
    """A threaded http.server on loopback; tests tune its attributes before requesting."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ImageHandler)
    server.daemon_threads = True
    server.image = os.urandom(IMAGE_SIZE)
    server.announce_length, server.claimed_length = True, None
    server.piece, server.pause = 256 * 1024, 0.0
    server.stall_after = len(server.image) + 1
    server.stalled, server.release = threading.Event(), threading.Event()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/images/ttylinux.img"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def context_for(tmp_path, **job_data):
    return JobContext(uuid.uuid4().hex, new_api_id(), job_data, tmp_path / "images")


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def detail_reports(store, api_id):
    return [n for n in walk(store.get_task_progress(api_id, all=True)) if n["type"] == "Progress" and "opaque" in n]


def test_an_http_download_is_saved_hashed_and_reported(store, tmp_path, image_server):
    context = context_for(tmp_path, name="ttylinux", url=image_server.url, mediaType="RootVolumeTemplate")
    outcome = execute_job(ADD_IMAGE, context, store)
    assert outcome.event is LongJobEvent.succeed, outcome.error
    path = tmp_path / "images" / f"{context.job_uuid}.raw"
    assert outcome.result == {
        "name": "ttylinux",
        "size": IMAGE_SIZE,
        "md5sum": None,  # computed only to verify a given md5sum
        "sha256": hashlib.sha256(image_server.image).hexdigest(),
        "path": str(path),
        "format": "raw",
    }
    assert path.read_bytes() == image_server.image
    assert files_in(path.parent) == [path.name]  # no temporary file left
    forest = store.get_task_progress(context.api_id, all=True)
    assert [(n["type"], n["content"]) for n in forest] == [
        ("Task", "Download the image[%s]"),
        ("Task", "verify checksum of the image[%s]"),
        ("Task", "Save the image[%s] to the image store"),
        ("Progress", "100"),
    ]
    assert forest[0]["arguments"] == '["ttylinux"]'
    assert forest[0]["taskName"] == "class org.zstack.image.AddImageLongJob"
    [last] = forest[0]["subTasks"]  # a fast download: only the final report of the transfer
    assert last["content"] == "95"
    assert last["opaque"]["bytesDone"] == last["opaque"]["bytesTotal"] == IMAGE_SIZE
    assert last["opaque"]["speed"] > 0


def test_a_slow_download_reports_bytes_at_a_bounded_rate(store, tmp_path, image_server):
    image_server.piece, image_server.pause = 64 * 1024, 0.02  # about 3 MB/s: 1.3 s for the image
    context = context_for(tmp_path, name="ttylinux", url=image_server.url)
    started = time.monotonic()
    outcome = execute_job(ADD_IMAGE, context, store)
    elapsed = time.monotonic() - started
    assert outcome.event is LongJobEvent.succeed
    reports = detail_reports(store, context.api_id)
    assert 3 <= len(reports) <= elapsed / 0.2 + 2  # at most one every 0.2 s, plus the last
    done = [r["opaque"]["bytesDone"] for r in reports]
    assert done == sorted(done) and done[-1] == IMAGE_SIZE
    assert all(r["opaque"]["bytesTotal"] == IMAGE_SIZE and r["opaque"]["speed"] > 0 for r in reports)
    for report in reports:  # byte-accurate: the percent is the bytes, within the 0-95 stage
        assert int(report["content"]) == pytest.approx(95 * report["opaque"]["bytesDone"] / IMAGE_SIZE, abs=1)
    contents = [int(c) for c in progress_contents(store, context.api_id)]
    assert contents == sorted(contents) and contents[-1] == 100


def test_an_unannounced_length_is_reported_in_bytes(store, tmp_path, image_server):
    image_server.announce_length = False
    image_server.piece, image_server.pause = 64 * 1024, 0.02
    context = context_for(tmp_path, name="ttylinux", url=image_server.url)
    outcome = execute_job(ADD_IMAGE, context, store)
    assert outcome.event is LongJobEvent.succeed and outcome.result["size"] == IMAGE_SIZE
    reports = detail_reports(store, context.api_id)
    assert len(reports) >= 3 and all(r["opaque"]["bytesTotal"] is None for r in reports)
    assert reports[-1]["opaque"]["bytesDone"] == IMAGE_SIZE
    contents = [int(c) for c in progress_contents(store, context.api_id)]
    assert contents == sorted(contents) and contents[-1] == 100 and contents[-2] >= 1  # report_until crept


def test_a_file_url_is_read_and_its_format_recognised(store, tmp_path):
    source = tmp_path / "source.qcow2"
    source.write_bytes(b"QFI\xfb\x00\x00\x00\x03" + os.urandom(3 * 1024 * 1024))
    context = context_for(tmp_path, name="cirros", url=source.as_uri())
    outcome = execute_job(ADD_IMAGE, context, store)
    assert outcome.event is LongJobEvent.succeed
    assert outcome.result["format"] == "qcow2" and outcome.result["size"] == source.stat().st_size
    assert outcome.result["path"].endswith(".qcow2")
    assert hashlib.sha256(source.read_bytes()).hexdigest() == outcome.result["sha256"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [(b"KDMV", "vmdk"), (b"vhdxfile", "vhdx"), (b"conectix", "vhd"), (b"\x00" * 0x8001 + b"CD001", "iso")],
)
def test_other_formats_are_recognised_and_a_given_format_wins(store, tmp_path, head, expected):
    source = tmp_path / "source"
    source.write_bytes(head + b"\x00" * 40_000)
    outcome = execute_job(ADD_IMAGE, context_for(tmp_path, name="i", url=source.as_uri()), store)
    assert outcome.result["format"] == expected
    given = execute_job(ADD_IMAGE, context_for(tmp_path, name="i", url=source.as_uri(), format="raw"), store)
    assert given.result["format"] == "raw"


def test_matching_checksums_pass(store, tmp_path, image_server):
    md5 = hashlib.md5(image_server.image).hexdigest()
    sha256 = hashlib.sha256(image_server.image).hexdigest()
    context = context_for(tmp_path, name="i", url=image_server.url, md5sum=md5.upper(), sha256=sha256)
    outcome = execute_job(ADD_IMAGE, context, store)
    assert outcome.event is LongJobEvent.succeed
    assert (outcome.result["md5sum"], outcome.result["sha256"]) == (md5, sha256)


@pytest.mark.parametrize("field", ["md5sum", "sha256"])
def test_a_checksum_mismatch_fails_and_removes_the_file(store, tmp_path, image_server, field):
    wrong = "0" * (32 if field == "md5sum" else 64)
    context = context_for(tmp_path, name="i", url=image_server.url, **{field: wrong})
    outcome = execute_job(ADD_IMAGE, context, store)
    assert outcome.event is LongJobEvent.fail and isinstance(outcome.error, ChecksumMismatch)
    assert f"does not match its {field}: expected {wrong}" in str(outcome.error)
    assert files_in(tmp_path / "images") == []


def _start(store, context):
    runs, outcomes = [], []
    worker = threading.Thread(
        target=lambda: outcomes.append(execute_job(ADD_IMAGE, context, store, on_start=runs.append))
    )
    worker.start()
    return worker, runs, outcomes


@pytest.mark.parametrize("interruption", [tp.Canceled, tp.Suspended])
def test_interrupted_mid_download_it_stops_within_a_second_and_leaves_nothing(
    store, tmp_path, image_server, interruption
):
    image_server.piece, image_server.pause = 64 * 1024, 0.02
    context = context_for(tmp_path, name="i", url=image_server.url)
    worker, runs, outcomes = _start(store, context)
    wait_until(lambda: detail_reports(store, context.api_id))  # some bytes are in
    assert any(name.endswith(".part") for name in files_in(tmp_path / "images"))
    asked = time.monotonic()
    runs[0].interrupt(interruption)
    worker.join(10)
    assert time.monotonic() - asked < 1
    [outcome] = outcomes
    assert isinstance(outcome.error, interruption)
    assert outcome.event is (LongJobEvent.canceled if interruption is tp.Canceled else LongJobEvent.suspend)
    assert files_in(tmp_path / "images") == []


def test_a_cancel_reaches_a_download_stalled_by_its_server(store, tmp_path, image_server):
    image_server.stall_after = 1024 * 1024  # then the server sends nothing for a minute
    context = context_for(tmp_path, name="i", url=image_server.url)
    worker, runs, outcomes = _start(store, context)
    assert image_server.stalled.wait(10)
    # Once the temporary file holds all that was sent, the job's next step is a read that can only block.
    wait_until(lambda: [p.stat().st_size for p in context.data_dir.glob("*.part")] == [1024 * 1024])
    asked = time.monotonic()
    runs[0].interrupt(tp.Canceled)
    worker.join(10)
    assert time.monotonic() - asked < 1
    assert isinstance(outcomes[0].error, tp.Canceled)
    assert files_in(tmp_path / "images") == []


def test_resume_restarts_the_download(store, tmp_path, image_server):
    image_server.piece, image_server.pause = 64 * 1024, 0.01
    context = context_for(tmp_path, name="i", url=image_server.url)
    worker, runs, outcomes = _start(store, context)
    wait_until(lambda: detail_reports(store, context.api_id))
    runs[0].interrupt(tp.Suspended)
    worker.join(10)
    assert outcomes[0].event is LongJobEvent.suspend
    image_server.pause = 0
    resumed = JobContext(context.job_uuid, context.api_id, context.job_data, context.data_dir, resumed=True)
    outcome = execute_job(ADD_IMAGE, resumed, store)
    assert outcome.event is LongJobEvent.succeed
    assert (context.data_dir / f"{context.job_uuid}.raw").read_bytes() == image_server.image
    contents = [int(c) for c in progress_contents(store, context.api_id)]
    assert contents == sorted(contents) and contents[-1] == 100  # one stream, never backwards


def test_leftovers_of_a_dead_run_are_removed(store, tmp_path, image_server):
    context = context_for(tmp_path, name="i", url=image_server.url)
    context.data_dir.mkdir(parents=True)
    (context.data_dir / f".{context.job_uuid}-crashed.part").write_bytes(b"half an image")
    (context.data_dir / "someone-else.raw").write_bytes(b"kept")
    assert execute_job(ADD_IMAGE, context, store).event is LongJobEvent.succeed
    assert files_in(context.data_dir) == [f"{context.job_uuid}.raw", "someone-else.raw"]


def test_a_truncated_transfer_fails_and_leaves_nothing(store, tmp_path, image_server):
    image_server.claimed_length = IMAGE_SIZE + 1000  # the connection closes before that
    context = context_for(tmp_path, name="i", url=image_server.url)
    outcome = execute_job(ADD_IMAGE, context, store)
    assert outcome.event is LongJobEvent.fail and isinstance(outcome.error, DownloadFailed)
    assert "failed to download the image[i]" in str(outcome.error)
    assert files_in(tmp_path / "images") == []


def _refused_port():
    with contextlib.closing(__import__("socket").socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("{server}/missing.img", "the server answered 404 Not Found"),
        ("http://127.0.0.1:{refused}/x.img", "Connection refused"),
        ("file:///nonexistent/image.qcow2", "cannot read the image[i] at /nonexistent/image.qcow2"),
    ],
)
def test_an_unreachable_image_fails_clearly(store, tmp_path, image_server, url, message):
    server = image_server.url.rsplit("/images/", 1)[0]
    context = context_for(tmp_path, name="i", url=url.format(server=server, refused=_refused_port()))
    outcome = execute_job(ADD_IMAGE, context, store)
    assert outcome.event is LongJobEvent.fail and isinstance(outcome.error, DownloadFailed)
    assert message in str(outcome.error)
    assert files_in(tmp_path / "images") == []


@pytest.mark.parametrize(
    ("job_data", "message"),
    [
        ({"url": "http://h/i.img"}, "jobData.name is required"),
        ({"name": "  ", "url": "http://h/i.img"}, "jobData.name is required"),
        ({"name": "n" * 256, "url": "http://h/i.img"}, "jobData.name is at most 255 characters"),
        ({"name": "i"}, "jobData.url is required"),
        ({"name": "i", "url": 42}, "jobData.url is required"),
        ({"name": "i", "url": "ftp://h/i.img"}, "must be an http, https or file url, got scheme 'ftp'"),
        ({"name": "i", "url": "/local/path.img"}, "got scheme ''"),
        ({"name": "i", "url": "http:///i.img"}, "jobData.url has no host"),
        ({"name": "i", "url": "http://h:99999/i.img"}, "jobData.url is malformed"),
        ({"name": "i", "url": "http://h/a b.img"}, "must not contain spaces"),
        ({"name": "i", "url": "file://otherhost/i.img"}, "a file url is file:///absolute/path"),
        ({"name": "i", "url": "http://h/" + "x" * 2048}, "at most 2048 characters"),
        ({"name": "i", "url": "http://h/i", "md5sum": "abc"}, "jobData.md5sum must be 32 hexadecimal digits"),
        ({"name": "i", "url": "http://h/i", "sha256": "g" * 64}, "jobData.sha256 must be 64 hexadecimal digits"),
        ({"name": "i", "url": "http://h/i", "md5sum": 5}, "jobData.md5sum must be 32 hexadecimal digits"),
        ({"name": "i", "url": "http://h/i", "format": "../x"}, "jobData.format must be a short name"),
    ],
)
def test_bad_job_data_is_refused_before_running(job_data, message):
    with pytest.raises(InvalidJobData, match=message.replace("(", r"\(")) as raised:
        ADD_IMAGE.check_data(job_data)
    assert raised.value.error_code.code == "SYS.1007"


def test_bad_job_data_also_fails_a_job_that_runs_anyway(store, tmp_path):
    outcome = execute_job(ADD_IMAGE, context_for(tmp_path, name="i", url="gopher://h/i"), store)
    assert outcome.event is LongJobEvent.fail and isinstance(outcome.error, InvalidJobData)
