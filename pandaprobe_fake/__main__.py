"""`python -m pandaprobe_fake [options]`: the same command as `pandaprobe-fake`."""

import gc

gc.disable()  # start-up: main turns the collector back on (pandaprobe_fake/app.py, main)

from pandaprobe_fake.app import main  # noqa: E402

main(prog="python -m pandaprobe_fake")
