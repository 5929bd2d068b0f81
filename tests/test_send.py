"""send: a plan goes to a local fake of the Wix endpoints once, whatever happens to the run."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, REFERENCE_DIR, ROOT
from fake_wix import FakeWix, serve
from orders_migrate.importplan.writer import run_import_plan
from orders_migrate.send.client import RateLimit, Response, retry_after
from orders_migrate.send.log import KILL_AFTER_ENV
from orders_migrate.send.plan_file import Request, check_path
from orders_migrate.send.run import run_send

TOKEN = "test-token-8c1f"  # noqa: S105 - a fake token for the fake site
TOKEN_ENV = "ORDERS_MIGRATE_TEST_TOKEN"  # noqa: S105
PLANNABLE = [
    FIXTURES / "stores" / "coupon_partially_fulfilled.json",
    FIXTURES / "stores" / "velo_pickup_ils.json",
    FIXTURES / "stores" / "member_with_tax.json",
    FIXTURES / "stores" / "create_request_no_index.json",
    REFERENCE_DIR / "examples" / "stores_order_5.json",
    REFERENCE_DIR / "realworld" / "stores_order_indiafarm_2.json",
    REFERENCE_DIR / "realworld" / "stores_webhook_cottonclub_4.json",
]


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    out = tmp_path / "plan.ndjson"
    assert run_import_plan([str(p) for p in PLANNABLE], str(out), stderr=io.StringIO()) == 0
    return out


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def send(plan: Path, url: str, log: Path, *flags: str, **kwargs: Any) -> tuple[int, str, list[float]]:
    slept: list[float] = []
    out = io.StringIO()
    code = run_send(
        str(plan),
        url,
        TOKEN_ENV,
        str(log),
        rate=kwargs.pop("rate", 1000.0),
        dry_run="--dry-run" in flags,
        undo="--undo" in flags,
        retry_failed="--retry-failed" in flags,
        stdout=out,
        stderr=out,
        sleep=slept.append,
        **kwargs,
    )
    return code, out.getvalue(), slept


def imported_stores_ids(fake: FakeWix) -> Counter[str]:
    """Each stored order's imports, by what the fake keeps of it (its number and buyer)."""
    return Counter(f"{o.get('number')}|{o.get('buyerInfo', {}).get('email')}" for o in fake.orders.values())


def test_send_imports_every_order_with_its_fulfillments_and_keeps_the_crosswalk(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN, throttle_import=2, retry_after="1", error_import=4)
    log = tmp_path / "send.log"
    requests = lines(plan)
    with serve(fake) as url:
        code, out, slept = send(plan, url, log)
    assert code == 0, out
    imports = [r for r in requests if r["ref"]["request"] == "import"]
    assert len(fake.orders) == len(imports) == len(PLANNABLE)
    assert 1.0 in slept  # the 429's Retry-After
    assert len(fake.requests) == len(requests) + 2  # the 429 and the 500, each retried once
    assert set(fake.authorizations) == {TOKEN}
    entries = lines(log)
    done = [e for e in entries if e["event"] == "done"]
    new_ids = {e["group"]: e["orderId"] for e in done if e["ref"]["request"] == "import"}
    assert sorted(new_ids.values()) == sorted(fake.orders)
    crosswalk = {e["storesOrderId"]: e["orderId"] for e in done if "storesOrderId" in e}
    assert set(crosswalk) == {r["ref"]["storesOrderId"] for r in imports if "storesOrderId" in r["ref"]}
    assert len(crosswalk) == len(PLANNABLE) - 1  # a stored Create Order request has no Stores id yet
    for request in requests:
        if request["ref"]["request"].startswith("fulfillment"):
            new_id = crosswalk[request["ref"]["storesOrderId"]]
            assert [f["lineItems"] for f in fake.fulfillments[new_id]] == [request["body"]["fulfillment"]["lineItems"]]
    # Each order's payments reach the order its import made: the crosswalk filled {orderId} in path and body.
    payments = [r for r in requests if r["ref"]["request"].startswith("payment")]
    assert len(payments) >= 5  # the paid orders of PLANNABLE
    for request in payments:
        new_id = new_ids[Request(0, request["ref"], request["method"], request["path"], request["body"]).group]
        assert [{k: v for k, v in p.items() if k != "id"} for p in fake.payments[new_id]] == request["body"]["payments"]
    assert sum(len(p) for p in fake.payments.values()) == sum(len(r["body"]["payments"]) for r in payments)
    highest = max(int(r["body"]["order"]["number"]) for r in imports if "number" in r["body"]["order"])
    assert fake.counter == str(highest + 1)
    assert TOKEN not in log.read_text(encoding="utf-8") and TOKEN not in out


def test_a_second_run_with_the_same_log_sends_nothing(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN)
    log = tmp_path / "send.log"
    with serve(fake) as url:
        assert send(plan, url, log)[0] == 0
        sent = len(fake.requests)
        code, out, _ = send(plan, url, log)
    assert code == 0
    assert len(fake.requests) == sent
    assert f"sent 0 request(s); {len(lines(plan))} done in an earlier run" in out


def test_kill_9_mid_run_then_a_rerun_imports_each_order_exactly_once(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN)
    log = tmp_path / "send.log"
    args = [
        sys.executable,
        "-m",
        "orders_migrate",
        "send",
        str(plan),
        "--token-env",
        TOKEN_ENV,
        "--log",
        str(log),
        "--rate",
        "1000",
    ]
    with serve(fake) as url:
        env = {**os.environ, KILL_AFTER_ENV: "4"}
        killed = subprocess.run([*args, "--base-url", url], env=env, capture_output=True, cwd=ROOT, timeout=120, check=False)
        assert killed.returncode == -9
        assert 0 < len(fake.orders) < len(PLANNABLE)
        rerun = subprocess.run([*args, "--base-url", url], capture_output=True, cwd=ROOT, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert len(fake.orders) == len(PLANNABLE)
    assert set(imported_stores_ids(fake).values()) == {1}
    assert len(fake.requests) == len(lines(plan))  # nothing was sent twice


def test_kill_9_while_an_import_is_in_flight_never_imports_it_twice(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN, hold_import=3)
    log = tmp_path / "send.log"
    args = [
        sys.executable,
        "-m",
        "orders_migrate",
        "send",
        str(plan),
        "--token-env",
        TOKEN_ENV,
        "--log",
        str(log),
        "--rate",
        "1000",
    ]
    with serve(fake) as url:
        args += ["--base-url", url]
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert fake.held.wait(60)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        finally:
            fake.release.set()
        assert proc.returncode == -9 and len(fake.orders) == 2
        rerun = subprocess.run(args, capture_output=True, cwd=ROOT, timeout=120, check=False)
        assert rerun.returncode == 1 and b"in doubt, not sent again" in rerun.stdout
        assert len(fake.orders) == len(PLANNABLE) - 1  # every order but the one in flight
        retried = subprocess.run([*args, "--retry-failed"], capture_output=True, cwd=ROOT, timeout=120, check=False)
    assert retried.returncode == 0, retried.stdout
    assert len(fake.orders) == len(PLANNABLE)
    assert set(imported_stores_ids(fake).values()) == {1}


def test_undo_deletes_the_orders_the_log_created_and_only_once(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN)
    log = tmp_path / "send.log"
    with serve(fake) as url:
        send(plan, url, log)
        created = set(fake.orders)
        before = len(fake.requests)
        dry = send(plan, url, log, "--undo", "--dry-run")
        assert len(fake.requests) == before and all(i in dry[1] for i in created)
        code, out, _ = send(plan, url, log, "--undo")
        assert code == 0 and fake.orders == {} and set(fake.deleted) == created
        assert fake.payments == {}  # an imported order goes with its payments
        before = len(fake.requests)
        again = send(plan, url, log, "--undo")
    assert again[0] == 0 and len(fake.requests) == before
    assert dry[0] == 0 and f"would delete {len(created)} imported order(s) in 1 request(s)" in dry[1]
    assert f"deleted {len(created)} imported order(s) in 1 request(s)" in out
    assert "deleted 0 imported order(s)" in again[1]


def test_a_failed_import_is_logged_its_fulfillments_skipped_and_the_run_goes_on(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN, refuse_numbers={"10012"})
    log = tmp_path / "send.log"
    with serve(fake) as url:
        code, out, _ = send(plan, url, log)
    assert code == 1
    entries = lines(log)
    failed = [e for e in entries if e["event"] == "failed"]
    assert len(failed) == 1 and failed[0]["status"] == 400 and failed[0]["response"]["number"] == "10012"
    skipped = [e for e in entries if e["event"] == "skipped"]
    assert [e["ref"]["request"] for e in skipped] == ["fulfillment[0]"]
    assert skipped[0]["ref"]["storesOrderId"] == failed[0]["ref"]["storesOrderId"]
    assert len(fake.orders) == len(PLANNABLE) - 1  # the orders after it were imported
    assert "failed: POST /ecom/v1/orders/import" in out and ": HTTP 400: refused by the test\n" in out  # what Wix said
    with serve(fake) as url:
        again, out, _ = send(plan, url, log)
        assert again == 1 and "1 failed in an earlier run" in out and len(fake.orders) == len(PLANNABLE) - 1
        fake.refuse_numbers.clear()
        fixed, out, _ = send(plan, url, log, "--retry-failed")
    assert fixed == 0 and len(fake.orders) == len(PLANNABLE)
    refused = next(o for o in fake.orders.values() if o.get("number") == "10012")
    assert len(fake.fulfillments[refused["id"]]) == 1  # its skipped fulfillment went out after it


def test_a_plan_naming_another_host_is_refused_before_anything_is_sent(plan: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    good = plan.read_text(encoding="utf-8").splitlines()
    evil = {"ref": {"request": "x"}, "method": "POST", "path": "https://evil.example/steal", "body": {}}
    bad.write_text("\n".join([good[0], json.dumps(evil)]) + "\n", encoding="utf-8")
    fake = FakeWix(TOKEN)
    with serve(fake) as url:
        code, out, _ = send(bad, url, tmp_path / "send.log")
    assert code == 1 and fake.requests == []
    assert f"{bad}:2: $.path: the path must start with a single '/'" in out


@pytest.mark.parametrize(
    "path", ["https://evil.example/x", "//evil.example/x", "evil.example/x", "/ecom/../x", "/a b", "/ecom/v1/x#frag"]
)
def test_paths_off_the_base_url_are_refused(path: str) -> None:
    assert check_path(path) is not None
    assert check_path("/ecom/v1/orders/import") is None


def test_dry_run_prints_and_sends_nothing(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN)
    log = tmp_path / "send.log"
    with serve(fake) as url:
        code, out, _ = send(plan, url, log, "--dry-run")
    assert code == 0 and fake.requests == [] and not log.exists()
    assert out.count(f"would send: POST {url}/ecom/v1/orders/import ") == len(PLANNABLE)
    assert f"would send: POST {url}/ecom/v1/fulfillments/orders/%7BorderId%7D" not in out
    assert f"{url}/ecom/v1/fulfillments/orders/{{orderId}}/create-fulfillment" in out


def test_a_dry_run_whose_reader_stops_ends_quietly_with_141(plan: Path, tmp_path: Path) -> None:
    class Closed(io.StringIO):  # a pipe whose reader has gone (| head)
        def write(self, text: str) -> int:
            raise BrokenPipeError

    code = run_send(str(plan), "https://www.wixapis.com", TOKEN_ENV, str(tmp_path / "send.log"), dry_run=True, stdout=Closed())
    assert code == 141


def test_a_request_left_in_flight_is_not_sent_again_until_asked(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN)
    log = tmp_path / "send.log"
    first = lines(plan)[0]
    log.write_text(
        json.dumps({"event": "sending", "key": Request(1, first["ref"], "POST", first["path"], None).key, "ref": first["ref"]})
        + '\n{"event": "do',
        encoding="utf-8",
    )
    with serve(fake) as url:
        code, out, _ = send(plan, url, log)
        assert code == 1 and "in doubt, not sent again" in out
        assert len(fake.orders) == len(PLANNABLE) - 1
        code, _, _ = send(plan, url, log, "--retry-failed")
    assert code == 0 and len(fake.orders) == len(PLANNABLE)
    after_torn = log.read_text(encoding="utf-8").splitlines()[2:]
    assert after_torn and all(isinstance(json.loads(line), dict) for line in after_torn)  # nothing glued to the torn line


def test_usage_errors(plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert send(plan, "http://example.com", tmp_path / "l")[0] == 2  # a token over plain http
    monkeypatch.delenv(TOKEN_ENV)
    code, out, _ = send(plan, "https://www.wixapis.com", tmp_path / "l")
    assert code == 2 and TOKEN_ENV in out and not (tmp_path / "l").exists()


def test_a_log_that_is_the_plan_is_refused_before_anything_is_sent(plan: Path, tmp_path: Path) -> None:
    # The log is appended to: named as the plan, its entries went into the plan itself.
    before = plan.read_bytes()
    code, out, _ = send(plan, "https://www.wixapis.com", plan)
    assert code == 2 and "--log" in out and "would overwrite its input" in out
    assert plan.read_bytes() == before


def test_the_rate_limit_spaces_request_starts() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(4.0, lambda: now[0], sleep)
    for _ in range(5):
        limit.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    now[0] += 10
    limit.wait()
    assert len(slept) == 4  # idle time is not made up for


def test_retry_after_as_seconds_or_a_date() -> None:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert retry_after({"retry-after": "7"}, now.timestamp()) == 7.0
    assert retry_after({"retry-after": format_datetime(now + timedelta(seconds=30), usegmt=True)}, now.timestamp()) == 30.0
    assert retry_after({"retry-after": "soon"}, now.timestamp()) is None
    assert retry_after({}, now.timestamp()) is None


def test_a_log_that_cannot_be_written_is_a_clear_error(plan: Path, tmp_path: Path) -> None:
    code, out, _ = send(plan, "https://www.wixapis.com", tmp_path / "missing" / "send.log")
    assert code == 1 and "cannot use the log" in out and "Traceback" not in out


def test_ctrl_c_stops_with_everything_so_far_in_the_log(plan: Path, tmp_path: Path) -> None:
    fake = FakeWix(TOKEN)
    log = tmp_path / "send.log"
    calls = []

    def transport(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(path)
        status, _, answer = fake.handle(method, path, headers.get("Authorization"), json.loads(body or b"null"))
        return Response(status, {}, json.dumps(answer).encode())

    code, out, _ = send(plan, "https://www.wixapis.com", log, transport=transport)
    assert code == 130 and "run the same command to continue" in out
    assert [e["event"] for e in lines(log)] == ["sending", "done", "sending", "done", "sending"]


@pytest.mark.parametrize("new_id", ["../../evil", "evil.example/x", "", None, 42])
def test_an_order_id_that_is_not_an_id_fails_the_import_and_goes_into_no_path(new_id: Any, plan: Path, tmp_path: Path) -> None:
    paths: list[str] = []

    def transport(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        paths.append(path)
        answer = {"order": {"id": new_id}} if path == "/ecom/v1/orders/import" else {}
        return Response(200, {}, json.dumps(answer).encode())

    code, _, _ = send(plan, "https://www.wixapis.com", tmp_path / "send.log", transport=transport)
    assert code == 1
    assert all(p.startswith("/ecom/v1/orders/import") for p in paths)  # no fulfillment went out
    failed = [e for e in lines(tmp_path / "send.log") if e["event"] == "failed"]
    assert len(failed) == len(PLANNABLE) and {e["error"] for e in failed} == {"the Import Order response holds no order.id"}


def test_a_plan_made_again_from_an_export_whose_lines_moved_sends_nothing_twice(tmp_path: Path) -> None:
    orders = [json.loads(p.read_text(encoding="utf-8")) for p in PLANNABLE[:3]]
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join(json.dumps(o) for o in orders) + "\n", encoding="utf-8")
    first, again = tmp_path / "first.ndjson", tmp_path / "again.ndjson"
    assert run_import_plan([str(export)], str(first), stderr=io.StringIO()) == 0
    export.write_text("\n".join(json.dumps(o) for o in [{"not": "an order"}, *reversed(orders)]) + "\n", encoding="utf-8")
    assert run_import_plan([str(export)], str(again), stderr=io.StringIO()) == 1  # the bad line is rejected
    fake = FakeWix(TOKEN)
    log = tmp_path / "send.log"
    with serve(fake) as url:
        assert send(first, url, log)[0] == 0
        sent = len(fake.requests)
        code, out, _ = send(again, url, log)
    assert code == 0 and len(fake.requests) == sent and len(fake.orders) == 3
    assert "sent 0 request(s)" in out
