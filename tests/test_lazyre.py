"""Start-up: marshmallow is imported with its e-mail patterns compiled on first use
(lazyre.py), and behaves as before."""

from __future__ import annotations

import re
import subprocess
import sys

import pandaprobe_fake  # noqa: F401  (imports marshmallow through lazyre)
from marshmallow import ValidationError, validate

from pandaprobe_fake.lazyre import LazyPattern


def test_re_compile_is_itself_again_and_the_email_validator_works():
    assert re.compile is re.__dict__["compile"] and re.compile("a+").fullmatch("aa")
    assert isinstance(re.compile("x"), re.Pattern)
    email = validate.Email()
    assert email("someone@example.com") == "someone@example.com"
    try:
        email("not an address")
    except ValidationError as err:
        assert err.messages == ["Not a valid email address."]
    else:
        raise AssertionError("accepted")


def test_a_lazy_pattern_compiles_once_on_first_use():
    lazy = LazyPattern(r"(\d+)-(\d+)", re.ASCII)
    assert lazy._compiled is None
    assert lazy.fullmatch("12-34").groups() == ("12", "34")
    compiled = lazy._compiled
    assert compiled.flags & re.ASCII and lazy.search("x 5-6").group(0) == "5-6"
    assert lazy._compiled is compiled and lazy.pattern == r"(\d+)-(\d+)"


def test_importing_the_app_compiles_no_email_pattern():
    code = ("import pandaprobe_fake.app, marshmallow.validate as v; "
            "print(type(v.Email.USER_REGEX).__name__, v.Email.USER_REGEX._compiled is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["LazyPattern", "True"], out.stderr
