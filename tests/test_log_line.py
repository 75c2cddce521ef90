"""The request log line's formatter (app.LogFormatter, which writes the date and time part of
the stamp once a second): its lines are logging's default ones, byte for byte."""

from __future__ import annotations

import logging

from pandaprobe_fake.app import LogFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def test_the_line_is_loggings_default_across_seconds_and_milliseconds():
    fast, default = LogFormatter(FORMAT), logging.Formatter(FORMAT)
    for created in (1_767_312_245.0, 1_767_312_245.0017, 1_767_312_245.9999, 1_767_312_246.5,
                    1_767_312_246.001, 1_767_312_245.25):  # back in time too (a clock set back)
        record = logging.LogRecord("pandaprobe_fake", logging.INFO, __file__, 1,
                                   '%s "%s %s" %s %.1fms', ("127.0.0.1", "GET", "/x", 200, 1.25), None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert fast.format(record) == default.format(record)
        assert fast.format(record).endswith(' INFO pandaprobe_fake: 127.0.0.1 "GET /x" 200 1.2ms')


def test_the_direct_line_is_what_logging_writes(monkeypatch):
    import io

    from pandaprobe_fake import app as app_module
    from pandaprobe_fake.app import LOG_FORMAT, LogLine

    assert LOG_FORMAT == FORMAT
    for created in (1_767_312_245.0, 1_767_312_245.0017, 1_767_312_245.9999, 1_767_312_246.5):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(LogFormatter(FORMAT))
        monkeypatch.setattr(app_module.time, "time", lambda: created)
        LogLine(handler, handler.formatter)('127.0.0.1 "GET /x?a=1" 200 1.2ms')
        monkeypatch.undo()
        record = logging.LogRecord("pandaprobe_fake", logging.INFO, __file__, 1, "%s",
                                   ('127.0.0.1 "GET /x?a=1" 200 1.2ms',), None)
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        assert stream.getvalue() == logging.Formatter(FORMAT).format(record) + "\n"


def test_a_stream_that_cannot_be_written_loses_the_line_not_the_request():
    from pandaprobe_fake.app import LogLine

    class Closed:
        def write(self, text):
            raise OSError(32, "Broken pipe")

        def flush(self):
            raise ValueError("I/O operation on closed file")

    handler = logging.StreamHandler(Closed())
    LogLine(handler, LogFormatter(FORMAT))("line")  # no exception


def test_without_main_the_line_goes_through_logging(client, caplog):
    with caplog.at_level(logging.INFO, logger="pandaprobe_fake"):
        client.get("/health?x=1", headers={"X-Request-ID": "r"})
    lines = [r.getMessage() for r in caplog.records if r.name == "pandaprobe_fake"]
    assert len(lines) == 1
    assert lines[0].startswith('127.0.0.1 "GET /health?x=1" 200 ') and lines[0].endswith("ms")
