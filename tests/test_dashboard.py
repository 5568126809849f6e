"""The web dashboard (/zstack/ui/) in a real headless Chromium against a real ``taskprogress serve``.

Debian's ``/usr/bin/chromium`` driven by Playwright (never a downloaded browser). Every key state is checked in
the DOM *and* in a screenshot: the screenshots are decoded (``pngimage``) and their pixels compared with what the
DOM says (a bar's filled share against its ``aria-valuenow``, a badge's colour, a page that is not blank).
Screenshots are saved under the test's ``tmp_path``. Waits are deadline polls (Playwright's own or
``wait_until``), never fixed sleeps.

The server runs on SQLite only: the dashboard is a client of the REST API, whose two backends the server tests
already cover.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, Request, Route, expect, sync_playwright

import pngimage
from helpers import wait_until
from serverproc import ServerProcess
from zstack import ADMIN, ADMIN_PASSWORD, ZStack, oauth

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1100, "height": 900}
TIMEOUT_MS = 15_000
TOPBAR = (0x10, 0x2A, 0x43)
CARD = (0xFF, 0xFF, 0xFF)

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def server_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite only (overrides conftest's fixture for this module)."""
    return f"sqlite:///{tmp_path_factory.mktemp('dashboard')}/taskprogress.db"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage) that fails the test on any uncaught script error."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# -- helpers -------------------------------------------------------------------------------------------------


def ui_url(server: ServerProcess, fragment: str = "") -> str:
    return f"{server.base_url}/zstack/ui/{fragment}"


def log_in(page: Page, server: ServerProcess, password: str = ADMIN_PASSWORD) -> None:
    page.goto(ui_url(server))
    page.get_by_label("Account name").fill(ADMIN)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def shot(page: Page, tmp_path: Path, name: str) -> pngimage.Image:
    """A screenshot of the viewport, saved, decoded and checked to be a real page: not blank, not an error text."""
    png = page.screenshot(path=tmp_path / f"{name}.png")
    image = pngimage.decode(png)
    assert (image.width, image.height) == (VIEWPORT["width"], VIEWPORT["height"])
    sample = image.crop(0, 0, image.width, image.height)
    assert len(sample.colors()) > 20, f"{name}: the page looks blank"
    topbar = image.crop(0, 0, image.width, 40)
    assert topbar.fraction(TOPBAR, 8) > 0.6, f"{name}: the dashboard's top bar is missing (an error page?)"
    body = page.locator("body").inner_text()
    assert "no api mapping" not in body and "Internal Server Error" not in body
    return image


def region(locator: Locator, tmp_path: Path, name: str) -> pngimage.Image:
    """A screenshot of one element, saved and decoded."""
    png = locator.screenshot(path=tmp_path / f"{name}.png")
    return pngimage.decode(png)


def css_color(locator: Locator, prop: str) -> pngimage.RGB:
    return pngimage.parse_css_color(locator.evaluate(f"e => getComputedStyle(e).{prop}"))


def bar_value(bar: Locator) -> float | None:
    value = bar.get_attribute("aria-valuenow")
    return None if value is None else float(value)


def check_bar_pixels(bar: Locator, tmp_path: Path, name: str) -> tuple[float, float]:
    """The bar's filled share in a screenshot lies between its aria-valuenow just before and just after the
    screenshot (it is live), give or take two pixels. Returns (filled share, aria-valuenow after)."""
    fill_color = css_color(bar.locator(".fill"), "backgroundColor")
    track_color = css_color(bar, "backgroundColor")
    assert not pngimage.close(fill_color, track_color, 40), "fill and track must look different"
    before = bar_value(bar) or 0.0
    image = region(bar, tmp_path, name)
    after = bar_value(bar) or 0.0
    middle = image.height // 2
    filled = image.row_fraction(middle, fill_color)
    empty = image.row_fraction(middle, track_color)
    slack = 2.5 / image.width
    assert filled + empty > 0.97, f"{name}: the bar has unexpected colours ({filled=}, {empty=})"
    assert before / 100 - slack <= filled <= after / 100 + slack, f"{name}: {filled=} but aria {before}..{after}"
    return filled, after


def submit_long_job(zs: ZStack, name: str, script: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"params": {"name": name, "jobName": "ScriptedJob", "jobData": json.dumps({"script": script})}}
    response = zs.call("POST", "/longjobs", zs.admin(), body)
    assert response.status_code == 200, response.text
    return response.json()["inventory"]


def long_job_state(zs: ZStack, uuid: str) -> str:
    response = zs.http.get(f"/longjobs/{uuid}", headers=oauth(zs.admin()))
    assert response.status_code == 200, response.text
    return response.json()["inventories"][0]["state"]


# A script that takes about 5 s: a step, a sub-task with two steps and ticking progress, a parallel stage.
LIVE_SCRIPT = [
    {"step": "Choose backup storage for %s", "args": ["image-1"]},
    {
        "subtask": "download the image[%s]",
        "args": ["ttylinux"],
        "totalSteps": 2,
        "script": [
            {"step": "connect to %s", "args": ["bs-1"]},
            {"stage": [0, 70], "script": [{"until": 100, "interval": 0.04}]},
            {"step": "verify checksum"},
        ],
    },
    {
        "subtask": "install",
        "script": [
            {
                "stage": [70, 100],
                "script": [
                    {
                        "parallel": [1, 1],
                        "scripts": [[{"until": 100, "interval": 0.03}], [{"step": "write config"}, {"progress": 100}]],
                    }
                ],
            }
        ],
    },
]


# -- the static files and the REST conventions ---------------------------------------------------------------


def test_the_dashboard_is_served_from_the_package_and_stays_out_of_the_api(server: ServerProcess):
    base = f"{server.base_url}/zstack"
    redirect = httpx.get(f"{base}/ui")
    assert redirect.status_code == 307 and redirect.headers["location"] == "/zstack/ui/"
    index = httpx.get(f"{base}/ui/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/app.js">' in index.text
    csp = index.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    for name, media_type in [("dashboard.css", "text/css"), ("js/app.js", "text/javascript"), ("js/sse.js", "text/")]:
        response = httpx.get(f"{base}/ui/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media_type), name
    # Unknown files and other methods get the REST layer's plain-text answers; nothing outside the folder.
    for path in ("ui/nope.js", "ui/../openapi.json", "ui/%2e%2e/%2e%2e/server.py", "ui/js/../../rest/app.py"):
        response = httpx.get(f"{base}/{path}")
        assert response.status_code in (200, 404), path
        if response.status_code == 200:
            assert path == "ui/../openapi.json" and "openapi" in response.json()  # httpx normalised the dots
        else:
            assert response.headers["content-type"].startswith("text/plain")
            assert response.text.startswith("no api mapping to ")
    refused = httpx.post(f"{base}/ui/")
    assert refused.status_code == 405 and refused.headers["content-type"].startswith("text/plain")
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    assert not [p for p in paths if "/ui" in p]
    assert httpx.get(f"{base}/v1/ui").status_code == 404  # not an API


# -- logging in and out --------------------------------------------------------------------------------------


def test_log_in_page_then_a_wrong_password_is_refused_clearly(page: Page, server: ServerProcess, tmp_path: Path):
    page.goto(ui_url(server))
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_label("Account name")).to_be_focused()
    image = shot(page, tmp_path, "login")
    card = image.crop_box(page.locator(".login").bounding_box())
    assert card.crop(4, 4, 40, 20).fraction(CARD, 2) > 0.95  # the white card

    log_in(page, server, password="not the password")
    error = page.locator("#login-error")
    expect(error).to_have_text("Wrong account name or password.")
    expect(page.get_by_label("Password")).to_be_focused()
    assert page.evaluate("sessionStorage.getItem('taskprogress.session')") is None
    shot(page, tmp_path, "wrong-password")
    red = css_color(error, "color")
    assert region(error, tmp_path, "wrong-password-error").fraction(red, 40) > 0.02, "the error is not shown in red"


def test_log_in_with_the_keyboard_and_log_out(page: Page, server: ServerProcess, zs: ZStack, tmp_path: Path):
    page.goto(ui_url(server))
    page.keyboard.type(ADMIN)  # the name field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    session = page.evaluate("JSON.parse(sessionStorage.getItem('taskprogress.session')).uuid")
    assert zs.valid(session)
    expect(page.locator("#account")).to_contain_text("Logged in as admin")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(page.locator("#account")).to_be_hidden()
    wait_until(lambda: not zs.valid(session))  # LogOut reached the server
    assert page.evaluate("sessionStorage.getItem('taskprogress.session')") is None
    shot(page, tmp_path, "logged-out")


def test_an_expired_session_goes_back_to_log_in(page: Page, server: ServerProcess, zs: ZStack, tmp_path: Path):
    log_in(page, server)
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    session = page.evaluate("JSON.parse(sessionStorage.getItem('taskprogress.session')).uuid")
    assert zs.http.delete(f"/accounts/sessions/{session}").status_code == 200  # ended elsewhere

    reason = page.locator("#login-reason")
    expect(reason).to_have_text(re.compile("session has expired"))  # found by the list's next refresh
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('taskprogress.session')") is None
    shot(page, tmp_path, "session-expired")
    info = css_color(reason, "backgroundColor")
    assert region(reason, tmp_path, "session-expired-reason").fraction(info, 6) > 0.5

    log_in(page, server)  # and back in
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()


# -- the job list and live progress --------------------------------------------------------------------------


def test_the_job_list_shows_long_jobs(page: Page, server: ServerProcess, zs: ZStack, tmp_path: Path):
    job = submit_long_job(zs, "list me", [{"sleep": 30}])
    try:
        log_in(page, server)
        # No async API call is running (the submit call ended when the job started): the section says so.
        expect(page.get_by_role("region", name="Running API jobs")).to_contain_text("No API job is running.")
        row = page.locator(f"#long-jobs tr[data-uuid='{job['uuid']}']")
        expect(row).to_contain_text("list me")
        expect(row).to_contain_text("ScriptedJob")
        expect(row.locator(".badge")).to_have_text("Running")
        image = shot(page, tmp_path, "job-list")
        badge = row.locator(".badge")
        assert image.crop_box(badge.bounding_box()).fraction(css_color(badge, "color"), 40) > 0.05  # drawn

        page.get_by_role("link", name="list me").click()
        expect(page).to_have_url(re.compile(f"#/longjob/{job['uuid']}$"))
        expect(page.locator("#longjob-state")).to_have_text("Running")
    finally:
        zs.call("PUT", f"/longjobs/{job['uuid']}/actions", zs.admin(), {"cancelLongJob": {}})


def test_a_running_scripted_job_is_shown_live(page: Page, server: ServerProcess, zs: ZStack, tmp_path: Path):
    log_in(page, server)
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    job = submit_long_job(zs, "live demo", LIVE_SCRIPT)
    page.goto(ui_url(server, f"#/longjob/{job['uuid']}"))
    overall = page.get_by_role("progressbar", name="Overall progress")
    expect(page.locator("#stream-status")).to_have_text("live")

    # The overall bar rises while the job runs (seen through the DOM), and never goes back.
    seen: list[float] = []

    def rising() -> bool:
        value = bar_value(overall)
        if value is not None and (not seen or value != seen[-1]):
            seen.append(value)
        return len(seen) >= 4 and value is not None and value < 100

    wait_until(rising, timeout=20, interval=0.05)
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    assert 0 < seen[-1] < 100

    # Mid-run: the tree with its sub-tasks and their bars, rate and ETA with its basis, the step timeline.
    download = page.locator("li.subtask", has_text="download the image[ttylinux]")
    expect(download).to_be_visible()
    expect(download.get_by_role("progressbar", name="Progress of download the image[ttylinux]")).to_have_attribute(
        "aria-valuenow", re.compile(r"\d")
    )
    expect(download.locator("li.step", has_text="connect to bs-1")).to_be_visible()
    expect(page.locator("#tree > li.step", has_text="Choose backup storage for image-1")).to_be_visible()
    expect(page.locator("#timeline li", has_text="Choose backup storage for image-1").locator("time")).to_have_text(
        re.compile(r"^\d\d:\d\d:\d\d\.\d{3}$")
    )
    expect(page.locator("#eta")).to_have_text(re.compile(r"about .* \(from the recent rate\)|unknown|done"))
    expect(page.locator("#stalled")).to_be_hidden()
    image = shot(page, tmp_path, "live")
    bar_in_page = image.crop_box(overall.bounding_box())
    fill_color = css_color(overall.locator(".fill"), "backgroundColor")
    assert 0 < bar_in_page.row_fraction(bar_in_page.height // 2, fill_color) < 1  # part filled in the page shot
    filled, value = check_bar_pixels(overall, tmp_path, "live-overall-bar")
    assert 0 < filled < 1, "a running job's bar is neither empty nor full"
    expect(page.locator("#overall-percent")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    assert value < 100

    # The end: everything at 100, the job Succeeded, the timeline ends with it.
    expect(overall).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    expect(page.locator("#api-state")).to_have_text("succeeded")
    expect(page.locator("#longjob-state")).to_have_text("Succeeded")
    expect(page.locator("#timeline li.end")).to_have_text(re.compile("Finished: succeeded"))
    expect(page.locator("#stream-status")).to_have_text("ended")
    expect(page.get_by_role("button", name="Cancel job")).to_be_hidden()
    for step in ("connect to bs-1", "verify checksum", "write config"):
        expect(page.locator("#timeline li", has_text=step)).to_have_count(1)  # each once: nothing shown twice
    shot(page, tmp_path, "finished")
    filled, _ = check_bar_pixels(overall, tmp_path, "finished-overall-bar")
    assert filled > 0.98


def test_the_stream_resumes_with_last_event_id_after_a_drop(
    page: Page, server: ServerProcess, zs: ZStack, tmp_path: Path
):
    """The first stream is cut after three events (served here from the real stream's first three); the page
    reconnects with Last-Event-ID set to the third id, the server goes on from there, the page ends complete."""
    log_in(page, server)
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    job = submit_long_job(zs, "dropped", LIVE_SCRIPT)
    requests: list[dict[str, str]] = []
    served: list[str] = []

    def handle(route: Route, request: Request) -> None:
        requests.append(dict(request.headers))
        if len(requests) > 1:
            route.continue_()
            return
        body, ids = first_events(request.url, request.headers, 3)
        served.extend(ids)
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}, body=body)

    page.route(re.compile(r".*/task-progresses/[0-9a-f]{32}/events$"), handle)
    page.goto(ui_url(server, f"#/longjob/{job['uuid']}"))
    overall = page.get_by_role("progressbar", name="Overall progress")
    expect(overall).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    expect(page.locator("#longjob-state")).to_have_text("Succeeded")
    assert len(requests) >= 2 and len(served) == 3
    assert "last-event-id" not in requests[0]
    assert requests[1]["last-event-id"] == served[-1]
    assert requests[1]["authorization"] == requests[0]["authorization"]
    for step in ("Choose backup storage for image-1", "connect to bs-1", "verify checksum", "write config"):
        expect(page.locator("#timeline li", has_text=step)).to_have_count(1)
    shot(page, tmp_path, "resumed")


def first_events(url: str, headers: dict[str, str], count: int) -> tuple[str, list[str]]:
    """The raw text of the first ``count`` events of a real stream, and their ids."""
    keep = {k: v for k, v in headers.items() if k.lower() in ("authorization", "accept")}
    blocks: list[str] = []
    with httpx.stream("GET", url, headers=keep, timeout=httpx.Timeout(10, read=20)) as response:
        assert response.status_code == 200, response.read()
        block: list[str] = []
        for line in response.iter_lines():
            if line:
                block.append(line)
            elif block and not all(b.startswith(":") for b in block):
                blocks.append("\n".join(block) + "\n\n")
                block = []
                if len(blocks) == count:
                    break
            else:
                block = []
    ids = [re.search(r"^id: ?(.*)$", b, re.M).group(1) for b in blocks]  # type: ignore[union-attr]
    return "".join(blocks), ids


def test_a_stalled_job_gets_a_badge(page: Page, server: ServerProcess, zs: ZStack, tmp_path: Path):
    zs.set_config("progress", "stallTimeout", 1)
    log_in(page, server)
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    job = submit_long_job(zs, "stuck", [{"step": "start"}, {"progress": 30}, {"sleep": 60}])
    try:
        page.goto(ui_url(server, f"#/longjob/{job['uuid']}"))
        stalled = page.locator("#stalled")
        expect(stalled).to_be_visible(timeout=20_000)
        expect(stalled).to_have_text("Stalled")
        expect(page.get_by_role("progressbar", name="Overall progress")).to_have_attribute("aria-valuenow", "30")
        shot(page, tmp_path, "stalled")
        assert region(stalled, tmp_path, "stalled-badge").fraction(css_color(stalled, "backgroundColor"), 12) > 0.4
        check_bar_pixels(page.get_by_role("progressbar", name="Overall progress"), tmp_path, "stalled-bar")
    finally:
        zs.call("PUT", f"/longjobs/{job['uuid']}/actions", zs.admin(), {"cancelLongJob": {}})


def test_cancel_a_long_job(page: Page, server: ServerProcess, zs: ZStack, tmp_path: Path):
    log_in(page, server)
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    job = submit_long_job(zs, "cancel me", [{"step": "working"}, {"progress": 10}, {"sleep": 120}])
    page.goto(ui_url(server, f"#/longjob/{job['uuid']}"))
    expect(page.locator("#longjob-state")).to_have_text("Running")
    expect(page.get_by_role("progressbar", name="Overall progress")).to_have_attribute("aria-valuenow", "10")

    cancel = page.get_by_role("button", name="Cancel job")
    cancel.focus()
    page.keyboard.press("Enter")  # keyboard reachable
    state = page.locator("#longjob-state")
    expect(state).to_have_text("Canceled")
    assert long_job_state(zs, job["uuid"]) == "Canceled"
    expect(cancel).to_be_hidden()
    expect(page.locator("#stream-status")).to_have_text("ended")
    expect(page.locator("#api-state")).to_have_text("canceled")  # the job's state, not its submit call's
    expect(page.locator("#timeline li.end")).to_have_text(re.compile("Finished: canceled"))
    expect(page.locator("#notice")).to_be_hidden()
    shot(page, tmp_path, "canceled")
    badge = state.locator(".badge")
    assert region(badge, tmp_path, "canceled-badge").fraction(css_color(badge, "color"), 40) > 0.03
    assert css_color(badge, "color") != css_color(page.locator(".topbar"), "backgroundColor")


def test_api_errors_are_shown_with_their_code(page: Page, server: ServerProcess, tmp_path: Path):
    log_in(page, server)
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    page.goto(ui_url(server, "#/api/not-a-valid-api-id"))
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("SYS.1007")
    expect(notice).to_have_attribute("role", "alert")
    expect(page.locator("#api-state")).to_have_text("unavailable")
    shot(page, tmp_path, "api-error")
    assert region(notice, tmp_path, "api-error-notice").fraction(css_color(notice, "backgroundColor"), 6) > 0.5


# -- the pure modules, in the browser ------------------------------------------------------------------------


def test_the_event_stream_parser_follows_the_standard(page: Page, server: ServerProcess):
    page.goto(ui_url(server))
    events = page.evaluate(
        """async () => {
            const { EventStreamParser } = await import("/zstack/ui/js/sse.js");
            const seen = [];
            const parser = new EventStreamParser((e) => seen.push(e));
            const text = "\\ufeff: keep-alive\\r\\nevent: progress\\r\\nid: 5\\r\\ndata: {\\"a\\":\\r\\n"
                + "data: 1}\\r\\n\\r\\nretry: 250\\nid: 5-1\\nevent: summary\\ndata:x\\n\\ndata: plain\\rid\\r\\r"
                + "event: finished\\ndata: end";
            for (let i = 0; i < text.length; i += 3) parser.feed(text.slice(i, i + 3));  // CRLFs split across chunks
            parser.end();
            return { seen, retry: parser.retry };
        }"""
    )
    assert events["seen"] == [
        {"type": "progress", "data": '{"a":\n1}', "id": "5"},
        {"type": "summary", "data": "x", "id": "5-1"},
        {"type": "message", "data": "plain", "id": ""},  # a bare "id" line resets it
    ]  # the last event has no blank line after it: not dispatched
    assert events["retry"] == 250


def test_follow_reconnects_with_the_last_event_id(page: Page, server: ServerProcess):
    page.goto(ui_url(server))
    result = page.evaluate(
        """async () => {
            const { followEventStream } = await import("/zstack/ui/js/sse.js");
            const bodies = [
                "id: 1\\nevent: progress\\ndata: a\\n\\nid: 2\\nevent: progress\\ndata: b\\n\\n",  // then a drop
                null,                                                                         // a network error
                "id: 3\\nevent: progress\\ndata: c\\n\\nid: 3-1\\nevent: finished\\ndata: {}\\n\\n"
                    + "id: 9\\ndata: no\\n\\n",  // after the final event: never seen
            ];
            const asked = [], seen = [], statuses = [];
            await followEventStream({
                open: async (lastEventId) => {
                    asked.push(lastEventId);
                    const body = bodies.shift();
                    if (body === null) throw new TypeError("Failed to fetch");
                    return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
                },
                onEvent: (e) => seen.push(`${e.type}:${e.data}:${e.id}`),
                isFinal: (e) => e.type === "finished",
                onStatus: (s) => statuses.push(s),
                retryMs: 1,
            });
            let fatal = null;
            try {
                const refuse = async () => { throw Object.assign(new Error("gone"), { name: "ApiError" }); };
                await followEventStream({ open: refuse, onEvent: () => {} });
            } catch (e) { fatal = e.message; }
            return { asked, seen, statuses, fatal };
        }"""
    )
    assert result["asked"] == [None, "2", "2"]
    assert result["seen"] == ["progress:a:1", "progress:b:2", "progress:c:3", "finished:{}:3-1"]
    assert result["statuses"][0] == "connecting" and result["statuses"][-1] == "ended"
    assert "reconnecting" in result["statuses"]
    assert result["fatal"] == "gone"


def test_records_become_the_tree_shown(page: Page, server: ServerProcess):
    page.goto(ui_url(server))
    tree = page.evaluate(
        """async () => {
            const { ProgressModel, isSubtask, stepCount } = await import("/zstack/ui/js/tree.js");
            const { recordText } = await import("/zstack/ui/js/format.js");
            const m = new ProgressModel();
            const rec = (taskUuid, type, content, extra = {}) => ({ taskUuid, type, content, time: 1, ...extra });
            m.add(rec("a", "Task", "choose %s", { arguments: '["bs"]' }));
            m.add(rec("b", "Task", "download %s", { arguments: '["img"]' }));
            m.add(rec("c", "Task", "connect", { parentUuid: "b", totalSteps: 2, currentStep: 1 }));
            m.add(rec("d", "Progress", "28", { parentUuid: "b" }));
            m.add(rec("d", "Progress", "99", { parentUuid: "b" }));  // the same record again: ignored
            m.add(rec("e", "Progress", "40"));
            const show = (n) => ({ text: recordText(n.record), sub: isSubtask(n), percent: n.percent,
                                   steps: stepCount(n), children: n.children.map(show) });
            return { roots: m.roots.map(show), percent: m.percent, steps: m.steps.length };
        }"""
    )
    assert tree["percent"] == 40 and tree["steps"] == 3
    choose, download = tree["roots"]
    assert choose == {"text": "choose bs", "sub": False, "percent": None, "steps": None, "children": []}
    assert download["text"] == "download img" and download["sub"] and download["percent"] == 28
    assert download["steps"] == {"current": 1, "total": 2}
    assert [c["text"] for c in download["children"]] == ["connect"]
