"""TensorBoard and Weights & Biases mirroring of progress.txt (Logger(tensorboard=True), wandb=True)."""

import glob
import os
import sys

import pytest

from spinup.utils import tracking
from spinup.utils.errors import UserError
from spinup.utils.logx import EpochLogger


def log_rows(logger, epochs, start=0, steps=100, with_steps=True):
    for epoch in range(start, start + epochs):
        logger.store(EpRet=float(epoch), EpLen=10 + epoch)
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("EpRet", with_min_and_max=True)
        logger.log_tabular("EpLen", average_only=True)
        if with_steps:
            logger.log_tabular("TotalEnvInteracts", (epoch + 1) * steps)
        logger.log_tabular("Note", "text")  # not a number: left out of the mirrors
        logger.dump_tabular()


def read_scalars(tb_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(tb_dir)
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def progress_columns(run_dir):
    with open(os.path.join(run_dir, "progress.txt")) as f:
        return f.readline().rstrip("\n").split("\t")


# ---------------------------------------------------------------------------------------------
# TensorBoard


def test_tensorboard_mirrors_every_numeric_column(tmp_path):
    pytest.importorskip("tensorboard")
    out = str(tmp_path / "run")
    logger = EpochLogger(output_dir=out, tensorboard=True)
    log_rows(logger, 3)
    scalars = read_scalars(os.path.join(out, "tb"))
    assert set(scalars) == set(progress_columns(out)) - {"Note"}
    assert scalars["AverageEpRet"] == [(100, 0.0), (200, 1.0), (300, 2.0)]
    assert scalars["EpLen"] == [(100, 10.0), (200, 11.0), (300, 12.0)]
    assert [s for s, _ in scalars["MaxEpRet"]] == [100, 200, 300]


def test_tensorboard_steps_by_epoch_without_step_count(tmp_path):
    pytest.importorskip("tensorboard")
    out = str(tmp_path / "run")
    logger = EpochLogger(output_dir=out, tensorboard=True)
    log_rows(logger, 2, with_steps=False)
    assert read_scalars(os.path.join(out, "tb"))["AverageEpRet"] == [(0, 0.0), (1, 1.0)]


def test_tensorboard_resume_hides_rows_after_the_checkpoint(tmp_path):
    """A run killed after writing rows 0-2 but checkpointed after row 1 resumes from row 2:
    TensorBoard must show each step once, with the resumed run's values."""
    pytest.importorskip("tensorboard")
    out = str(tmp_path / "run")
    first = EpochLogger(output_dir=out, tensorboard=True)
    log_rows(first, 3)
    for t in first._trackers:
        t.close()
    first.output_file.close()
    resumed = EpochLogger(output_dir=out, tensorboard=True)
    resumed.restore_progress(2)
    for epoch in (2, 3):
        resumed.store(EpRet=100.0 + epoch, EpLen=1)
        resumed.log_tabular("Epoch", epoch)
        resumed.log_tabular("EpRet", with_min_and_max=True)
        resumed.log_tabular("EpLen", average_only=True)
        resumed.log_tabular("TotalEnvInteracts", (epoch + 1) * 100)
        resumed.log_tabular("Note", "text")
        resumed.dump_tabular()
    scalars = read_scalars(os.path.join(out, "tb"))
    assert scalars["AverageEpRet"] == [(100, 0.0), (200, 1.0), (300, 102.0), (400, 103.0)]


def test_tensorboard_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    with pytest.raises(UserError, match=r'needs the \'tensorboard\' package.*pip install "spinup\[tensorboard\]"'):
        EpochLogger(output_dir=str(tmp_path / "run"), tensorboard=True)


def test_numeric_items_and_steps():
    row = tracking.numeric_items({"A": 1, "B": "x", "C": float("nan"), "D": True})
    assert row["A"] == 1.0 and "B" not in row and row["D"] == 1.0
    assert tracking.row_step({"TotalEnvInteracts": 4000.0, "Epoch": 0.0}, 7) == 4000
    assert tracking.row_step({"Epoch": 3.0}, 7) == 3
    assert tracking.row_step({"TotalEnvInteracts": float("nan")}, 7) == 7


# ---------------------------------------------------------------------------------------------
# Weights & Biases


def test_wandb_offline(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    out = str(tmp_path / "run")
    logger = EpochLogger(output_dir=out, exp_name="tiny", wandb=True)
    logger.save_config(dict(epochs=3, gamma=0.99))
    log_rows(logger, 3)
    (writer,) = logger._trackers
    run = writer._run
    assert run.offline
    assert run.group == "tiny"
    assert run.config["gamma"] == 0.99
    assert run.summary["AverageEpRet"] == 2.0
    assert run.summary["spinup_step"] == 300
    assert "Note" not in run.summary.keys()
    writer.close()
    assert glob.glob(os.path.join(out, "wandb", "offline-run-*", "run-*.wandb"))
    # A resumed run appends to the same W&B run.
    run_id = run.id
    resumed = tracking.WandbWriter(out, resume=True)
    assert resumed._run.id == run_id
    resumed.close()


def test_wandb_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(UserError, match=r'needs the \'wandb\' package.*pip install "spinup\[wandb\]"'):
        EpochLogger(output_dir=str(tmp_path / "run"), wandb=True)


def test_command_line_flags_reach_the_logger(tmp_path):
    """``--tensorboard --snapshots`` on the command line: TensorBoard events and one snapshot per save."""
    pytest.importorskip("tensorboard")
    from spinup.run import main

    data = tmp_path / "data"
    status = main(["ppo", "--env", "CartPole-v1", "--epochs", "2", "--steps_per_epoch", "200", "--hid", "[8]",
                   "--train_pi_iters", "2", "--train_v_iters", "2", "--save_freq", "1",
                   "--tensorboard", "--snapshots", "--exp_name", "flags", "--data_dir", str(data)])
    assert status == 0
    run_dir = data / "flags" / "flags_s0"
    assert sorted(os.listdir(run_dir / "pyt_save")) == ["model.json", "model.pt", "model0.pt", "model1.pt"]
    scalars = read_scalars(str(run_dir / "tb"))
    assert set(scalars) == set(progress_columns(str(run_dir)))
    assert [step for step, _ in scalars["AverageEpRet"]] == [200, 400]
