"""Run the fake from a checkout: `python app.py [options]` is `pandaprobe-fake [options]`
(`--help` lists them).  The app itself is pandaprobe_fake/app.py; see README.md."""

if __name__ == "__main__":
    import gc

    gc.disable()  # start-up: main turns the collector back on (pandaprobe_fake/app.py, main)

    from pandaprobe_fake.app import main

    main(prog="python app.py")
