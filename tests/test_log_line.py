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
