"""Run the fake from a checkout: `python app.py [options]` is `pandaprobe-fake [options]`
(`--help` lists them).  The app itself is pandaprobe_fake/app.py; see README.md."""

from pandaprobe_fake.app import main

if __name__ == "__main__":
    main(prog="python app.py")
