"""Start-up (issue 16): what serving an API request never needs is imported on first use, not
when the app is made.  Each module named here is checked absent from a new process right after
`create_app`; that each still works when first used is held by its own tests (named beside it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.process  # a new interpreter, so that nothing is imported already

# module -> the tests that use it on first use
LAZY = {
    "croniter": "test_monitor_runs.py (cron cadences firing), test_monitors.py (cron validation)",
    "pandaprobe_fake.fake.demo_data": "test_mock_mode.py, test_demo_*.py, test_control.py (reset to it)",
    "swagger_ui_bundle": "test_contract.py (/docs and its asset files)",
    "fractions": "(no longer used: trace analytics' average divides ints exactly; test_trace_analytics.py)",
}


def imported_after_create_app(*args: str) -> list[str]:
    code = ("import sys; from pandaprobe_fake.app import create_app; "
            f"create_app(database=None{''.join(', ' + a for a in args)}); "
            f"print(' '.join(m for m in {sorted(LAZY)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_create_app_imports_none_of_the_lazy_modules():
    assert imported_after_create_app() == []


def test_mock_mode_imports_the_demo_data_generator_it_uses():
    assert imported_after_create_app("demo_data=True") == ["pandaprobe_fake.fake.demo_data"]


RUN_MAIN = """
import gc, sys
gc.disable()  # as app.py and __main__.py do before importing the package
from pandaprobe_fake import app, serve
made = serve.create_server

def create_server(*args, **kwargs):
    server = made(*args, **kwargs)
    def run():  # instead of serving: what the process looks like when it would start serving
        print("serving", gc.isenabled(), gc.get_freeze_count() > 10000, flush=True)
    server.run = run
    return server

serve.create_server = create_server
try:
    app.main(sys.argv[1:])
except SystemExit as exit:
    print("exit", exit.code, gc.isenabled(), flush=True)
print("after", gc.isenabled(), flush=True)
"""


def run_main(*args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", RUN_MAIN, *args], capture_output=True, text=True,
                         timeout=60)
    return [line for line in out.stdout.splitlines() if not line.startswith("http://")]


def test_the_collector_is_on_and_start_up_frozen_when_serving_begins():
    assert run_main("--db", ":memory:", "--port", "0") == ["serving True True", "after True"]


@pytest.mark.parametrize("args,code", [(("--port", "-1"), 2), (("--help",), 0),
                                       (("--db", "/no/such/dir/x.db"), 1)])
def test_the_collector_is_on_again_when_start_up_fails(args, code):
    assert run_main(*args)[-2:] == [f"exit {code} True", "after True"]


@pytest.mark.parametrize("before", [True, False])
def test_importing_the_app_leaves_the_collector_as_it_was(before):
    code = (f"import gc; {'' if before else 'gc.disable(); '}import pandaprobe_fake.app; "
            "print(gc.isenabled(), gc.get_count()[0] < 5000, gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # with the collector on, what the import made waits in the oldest generation (no pass over
    # ~75,000 new objects at the next allocation), and nothing stays frozen
    assert out.stdout.split() == [str(before), str(before), "0"], out.stderr
