"""The demo page, `/ui`, one blueprint: common.py (the blueprint and the plumbing its views
share), page.py (scores, a trace, the key), runs.py, sessions.py, monitors.py (their views),
charts.py (the SVG geometry), templates/ and static/."""

from pandaprobe_fake.ui import monitors, page, runs, sessions  # noqa: F401  (their views join the blueprint)
from pandaprobe_fake.ui.common import blueprint

__all__ = ["blueprint"]
