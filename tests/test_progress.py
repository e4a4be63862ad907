"""Progress lines: `verbose` is checked, and `disable_interactive_logging`
sends the lines to the log instead of stdout, as Keras's own."""

import logging

import keras
import pytest

from kerasnn._progress import check_verbose
from kerasnn._progress import say
from kerasnn.errors import KerasnnValueError

pytestmark = pytest.mark.backend_neutral


@pytest.mark.parametrize("given, level", [("auto", 1), (0, 0), (1, 1), (2, 2)])
def test_auto_is_one_as_in_fit(given, level):
    assert check_verbose(given) == level


@pytest.mark.parametrize("bad", ["loud", -1, 1.5, True, None])
def test_bad_verbose_names_the_argument(bad):
    with pytest.raises(KerasnnValueError,
                       match=r"`verbose` must be 'auto', 0, 1 or 2 .*"
                             r"Received: verbose="):
        check_verbose(bad)


def test_lines_go_to_the_log_when_interactive_logging_is_off(capsys, caplog):
    say(1, "Fold 1/2: shown")
    say(0, "Fold 2/2: hidden")
    assert capsys.readouterr().out == "Fold 1/2: shown\n"
    keras.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="absl"):
            say(1, "Fold 1/2: logged")
    finally:
        keras.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert "Fold 1/2: logged" in caplog.text
