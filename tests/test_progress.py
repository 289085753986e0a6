"""The progress line (epoch k/N · steps/s · ETA), driven by the Logger."""

import io

import pytest

from spinup.utils import progress
from spinup.utils.logx import EpochLogger
from spinup.utils.progress import ProgressLine, format_duration


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progress.time, "time", c)
    return c


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_format_duration():
    assert format_duration(9.4) == "9s"
    assert format_duration(75) == "1m 15s"
    assert format_duration(4071) == "1h 7m 51s"
    assert format_duration(-3) == "0s"


def test_speed_and_eta_from_after_the_first_epoch(clock):
    out = Tty()
    line = ProgressLine(total_epochs=10, stream=out)
    clock.t += 30  # start-up (building envs, imports) and the first epoch
    line.epoch_done(total_steps=1000)
    clock.t += 10
    line.epoch_done(total_steps=2000)
    clock.t += 10
    line.epoch_done(total_steps=3000)
    last = out.getvalue().splitlines()[-1]
    # 2000 steps in 20 s after the first epoch: 100 steps/s, 10 s per epoch, 7 epochs left.
    assert "epoch 3/10" in last and "100 steps/s" in last and "ETA 1m 10s" in last and "elapsed 50s" in last
    first = out.getvalue().splitlines()[0]
    assert "epoch 1/10" in first and "ETA 4m 30s" in first  # only the first epoch to go by


def test_without_total_or_steps(clock):
    line = ProgressLine(stream=Tty())
    clock.t += 5
    line.epoch_done()
    assert line.line() == "epoch 1 · elapsed 5s"


def test_resumed_count(clock):
    line = ProgressLine(total_epochs=4, stream=Tty())
    line.restart_from(2, total_steps=800)
    clock.t += 4
    line.epoch_done(total_steps=1200)
    text = line.line(total_steps=1200)
    assert text.startswith("epoch 3/4") and "100 steps/s" in text and "ETA 4s" in text


def test_quiet_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("SPINUP_PROGRESS", raising=False)
    out = io.StringIO()
    ProgressLine(total_epochs=3, stream=out).epoch_done(100)
    assert out.getvalue() == ""
    assert progress.progress_enabled(Tty())
    monkeypatch.setenv("SPINUP_PROGRESS", "0")
    assert not progress.progress_enabled(Tty())
    monkeypatch.setenv("SPINUP_PROGRESS", "1")
    assert progress.progress_enabled(io.StringIO())


def _epochs(logger, epochs, start=0):
    for epoch in range(start, start + epochs):
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("TotalEnvInteracts", (epoch + 1) * 50)
        logger.dump_tabular()


def test_logger_shows_the_line_from_the_config(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SPINUP_PROGRESS", "1")
    logger = EpochLogger(output_dir=str(tmp_path / "run"))
    logger.save_config(dict(epochs=3, seed=0))
    _epochs(logger, 2)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "epoch " in ln]
    assert len(lines) == 2 and "epoch 2/3" in lines[-1] and "steps/s" in lines[-1]
    # A resumed run counts on from the rows it keeps.
    logger.output_file.close()
    del logger  # (its lock on the folder goes with it)
    resumed = EpochLogger(output_dir=str(tmp_path / "run"))
    resumed.save_config(dict(epochs=3, seed=0, resume=str(tmp_path / "run")))
    resumed.restore_progress(2)
    _epochs(resumed, 1, start=2)
    assert "epoch 3/3" in capsys.readouterr().out


def test_logger_is_quiet_in_captured_output(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SPINUP_PROGRESS", raising=False)
    logger = EpochLogger(output_dir=str(tmp_path / "run"))
    logger.save_config(dict(epochs=3))
    _epochs(logger, 2)
    assert "steps/s" not in capsys.readouterr().out
    logger = EpochLogger(output_dir=str(tmp_path / "run2"), progress=False)
    monkeypatch.setenv("SPINUP_PROGRESS", "1")
    assert not logger._progress.enabled
