"""`python -m pandaprobe_fake [options]`: the same command as `pandaprobe-fake`."""

from pandaprobe_fake.app import main

main(prog="python -m pandaprobe_fake")
