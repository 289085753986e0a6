"""The plotter: folder resolution, what is drawn (mean ± std over seeds), saving, and every
failure message. Runs are written with the Logger, with values chosen so the curves are known."""

import os
import os.path as osp

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from spinup.utils import plot  # noqa: E402
from spinup.utils.errors import UserError  # noqa: E402
from spinup.utils.logx import EpochLogger  # noqa: E402

EPOCHS = 5
STEPS = 100


def write_run(out, exp_name, returns, test_returns=None):
    """A run folder whose AverageEpRet (and AverageTestEpRet) per epoch are the given numbers."""
    logger = EpochLogger(output_dir=str(out), exp_name=exp_name)
    logger.save_config(dict(epochs=len(returns)))
    for epoch, ret in enumerate(returns):
        logger.store(EpRet=ret)
        if test_returns is not None:
            logger.store(TestEpRet=test_returns[epoch])
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("EpRet", with_min_and_max=True)
        if test_returns is not None:
            logger.log_tabular("TestEpRet", with_min_and_max=True)
        logger.log_tabular("TotalEnvInteracts", (epoch + 1) * STEPS)
        logger.dump_tabular()
    logger.output_file.close()
    return str(out)


def returns_for(seed, scale=1.0):
    return [scale * (epoch + seed) for epoch in range(EPOCHS)]


@pytest.fixture
def data(tmp_path):
    """data/bench_ppo (3 seeds), data/bench_sac (2 seeds, with test returns), data/other (1)."""
    root = tmp_path / "data"
    for seed in range(3):
        write_run(root / "bench_ppo" / f"bench_ppo_s{seed}", "bench_ppo", returns_for(seed))
    for seed in range(2):
        write_run(root / "bench_sac" / f"bench_sac_s{seed}", "bench_sac", returns_for(seed),
                  test_returns=returns_for(seed, scale=10.0))
    write_run(root / "other" / "other_s0", "other", returns_for(0))
    return root


def curves(ax):
    """{legend label: (x, y)} of the lines drawn (seaborn draws one line per hue level)."""
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    return {label: (line.get_xdata(), line.get_ydata()) for label, line in zip(labels, ax.lines, strict=False)}


# ---------------------------------------------------------------------------------------------
# Finding runs


def test_prefix_matches_by_substring(data):
    dirs = plot.resolve_logdirs([str(data / "bench")])
    assert [osp.basename(d) for d in dirs] == ["bench_ppo", "bench_sac"]
    assert [osp.basename(d) for d in plot.resolve_logdirs([str(data / "_ppo")])] == ["bench_ppo"]


def test_trailing_separator_takes_the_folder_as_it_is(data):
    assert plot.resolve_logdirs([str(data / "bench_ppo") + os.sep]) == [str(data / "bench_ppo") + os.sep]


def test_select_and_exclude(data):
    everything = [str(data / "bench"), str(data / "other")]
    assert [osp.basename(d) for d in plot.resolve_logdirs(everything, select=["bench", "sac"])] == ["bench_sac"]
    assert [osp.basename(d) for d in plot.resolve_logdirs(everything, exclude=["sac"])] == ["bench_ppo", "other"]


def test_runs_are_grouped_by_experiment_name(data):
    runs = plot.get_all_datasets([str(data / "bench")])
    assert sorted({d["Condition1"][0] for d in runs}) == ["bench_ppo", "bench_sac"]
    assert len({d["Condition2"][0] for d in runs}) == 5
    assert sorted(d["Unit"][0] for d in runs if d["Condition1"][0] == "bench_ppo") == [0, 1, 2]


def test_performance_is_test_return_when_logged(data):
    runs = {d["Condition1"][0]: d for d in plot.get_all_datasets([str(data / "bench")])}
    assert np.array_equal(runs["bench_sac"]["Performance"], runs["bench_sac"]["AverageTestEpRet"])
    assert np.array_equal(runs["bench_ppo"]["Performance"], runs["bench_ppo"]["AverageEpRet"])


# ---------------------------------------------------------------------------------------------
# What is drawn


def test_mean_line_with_std_band_over_seeds(data):
    runs = plot.get_all_datasets([str(data / "bench_ppo")])
    ax = plot.plot_data(runs, xaxis="TotalEnvInteracts", value="Performance", ax=plt.figure().gca())
    x, y = curves(ax)["bench_ppo"]
    seeds = np.array([returns_for(s) for s in range(3)])
    assert np.allclose(x, STEPS * np.arange(1, EPOCHS + 1))
    assert np.allclose(y, seeds.mean(axis=0))
    band = ax.collections[0].get_paths()[0].vertices  # seaborn's 'sd': the sample std (ddof=1)
    assert np.isclose(band[:, 1].max(), (seeds.mean(0) + seeds.std(0, ddof=1)).max())
    assert np.isclose(band[:, 1].min(), (seeds.mean(0) - seeds.std(0, ddof=1)).min())
    plt.close("all")


def test_estimator_max(data):
    runs = plot.get_all_datasets([str(data / "bench_ppo")])
    ax = plot.plot_data(runs, xaxis="Epoch", value="AverageEpRet", estimator="max", ax=plt.figure().gca())
    assert np.allclose(curves(ax)["bench_ppo"][1], returns_for(2))
    plt.close("all")


def test_count_draws_every_run(data):
    runs = plot.get_all_datasets([str(data / "bench_ppo")])
    ax = plot.plot_data(runs, xaxis="Epoch", value="AverageEpRet", condition="Condition2", ax=plt.figure().gca())
    assert sorted(curves(ax)) == ["bench_ppo-0", "bench_ppo-1", "bench_ppo-2"]
    plt.close("all")


def test_smoothing_is_a_centred_moving_average(data):
    runs = plot.get_all_datasets([str(data / "other")])
    plot.smooth_runs(runs, "AverageEpRet", 3)
    y = returns_for(0)  # 0, 1, 2, 3, 4
    expected = [(y[0] + y[1]) / 2, 1, 2, 3, (y[3] + y[4]) / 2]
    assert np.allclose(runs[0]["AverageEpRet"], expected)


def test_smoothing_window_longer_than_the_run(data):
    runs = plot.get_all_datasets([str(data / "other")])
    plot.smooth_runs(runs, "AverageEpRet", 9)  # 5 rows: every point averages the whole run
    y = returns_for(0)
    # centred window of 9 covers rows t-4..t+4: all 5 rows for every t
    assert np.allclose(runs[0]["AverageEpRet"], np.mean(y))


def test_legend_names_the_curves(data):
    runs = plot.get_all_datasets([str(data / "bench")], legend=["PPO", "SAC"])
    ax = plot.plot_data(runs, xaxis="Epoch", value="Performance", ax=plt.figure().gca())
    assert sorted(curves(ax)) == ["PPO", "SAC"]
    plt.close("all")


def test_font_scale_is_honoured(data):
    sizes = []
    for scale in (1.0, 2.0):
        plot.make_plots([str(data / "other")], font_scale=scale, save=f"f{scale}.png")
        fig = plt.figure()
        plot.plot_data(plot.get_all_datasets([str(data / "other")]), xaxis="Epoch", value="AverageEpRet", ax=fig.gca())
        sizes.append(fig.gca().xaxis.label.get_fontsize())
        plt.close("all")
    assert sizes[1] == pytest.approx(2 * sizes[0])


# ---------------------------------------------------------------------------------------------
# Saving


@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml")])
def test_save_by_extension(data, tmp_path, ext, magic):
    out = tmp_path / "figs" / f"curve{ext}"
    assert plot.main([str(data / "bench"), "--save", str(out)]) == 0
    assert out.read_bytes()[:len(magic)] == magic


def test_several_values_save_one_file_each(data, tmp_path):
    saved = plot.make_plots([str(data / "bench")], values=["AverageEpRet", "MaxEpRet"], save=str(tmp_path / "c.png"))
    assert saved == [str(tmp_path / "c_AverageEpRet.png"), str(tmp_path / "c_MaxEpRet.png")]
    assert all(osp.isfile(p) for p in saved)


def test_without_display_figures_are_saved(data, tmp_path, capsys):
    assert not plot.can_show()  # the tests run with the Agg back-end
    plot.main([str(data / "bench"), "-x", "Epoch", "-s", "2", "--count", "--est", "median"])
    assert osp.isfile(tmp_path / "plot_Performance.png")
    out = capsys.readouterr().out
    assert "No display" in out and str(tmp_path / "plot_Performance.png") in out


def test_cli_dispatch(data, tmp_path):
    from spinup.run import main

    assert main(["plot", str(data / "bench"), "--save", str(tmp_path / "x.png")]) == 0
    assert osp.isfile(tmp_path / "x.png")


# ---------------------------------------------------------------------------------------------
# Damaged folders and failure messages


def test_unusable_runs_are_skipped_with_warnings(data, tmp_path, capsys):
    bench = data / "bench_ppo"
    (bench / "no_progress").mkdir()
    (bench / "empty").mkdir()
    (bench / "empty" / "progress.txt").write_text("")
    (bench / "header_only").mkdir()
    (bench / "header_only" / "progress.txt").write_text("Epoch\tAverageEpRet\n")
    (bench / "binary").mkdir()
    (bench / "binary" / "progress.txt").write_bytes(b"\xff\xfe\x00garbage\n\x00\x81\n")
    src = bench / "bench_ppo_s0" / "progress.txt"
    (bench / "truncated").mkdir()
    (bench / "truncated" / "progress.txt").write_text(src.read_text() + "5\t9")
    runs = plot.get_all_datasets([str(bench)])
    err = capsys.readouterr().err
    assert "empty" in err and "no rows yet" in err
    assert "header_only" in err
    assert "binary" in err and "skipping" in err
    assert "incomplete" in err
    truncated = [d for d in runs if d.attrs["path"].endswith("truncated")][0]
    assert len(truncated) == EPOCHS  # the partial last row is dropped, the rest kept
    assert len(runs) == 4


def test_nothing_plottable(tmp_path, capsys):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    (tmp_path / "runs" / "a" / "progress.txt").write_text("")
    with pytest.raises(UserError, match="nothing to plot"):
        plot.main([str(tmp_path / "runs")])
    assert "no readable progress.txt" in capsys.readouterr().err


def test_no_matching_folder(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(UserError, match="no folder in .* has 'ppo' in its name"):
        plot.main([str(tmp_path / "data" / "ppo")])
    with pytest.raises(UserError, match="does not exist"):
        plot.main([str(tmp_path / "nowhere" / "ppo")])


def test_select_leaving_nothing(data):
    with pytest.raises(UserError, match="left no folders"):
        plot.main([str(data / "bench"), "--select", "td3"])


def test_missing_value_lists_the_columns(data):
    with pytest.raises(UserError, match="no run has a column 'AverageQVals'.*Available columns: .*AverageEpRet"):
        plot.main([str(data / "bench"), "-y", "AverageQVals"])
    with pytest.raises(UserError, match="no run has a column 'Steps'"):
        plot.main([str(data / "bench"), "-x", "Steps"])


def test_performance_without_returns(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path / "r" / "r_s0"))
    logger.log_tabular("Epoch", 0)
    logger.log_tabular("TotalEnvInteracts", 10)
    logger.dump_tabular()
    logger.output_file.close()
    with pytest.raises(UserError, match="Performance means AverageTestEpRet or AverageEpRet"):
        plot.main([str(tmp_path / "r")])


def test_legend_count_mismatch(data):
    with pytest.raises(UserError, match=r"(?s)1 legend entries for 2 folders.*bench_ppo.*bench_sac"):
        plot.main([str(data / "bench"), "-l", "only_one"])


def test_bad_save_extension_and_options(data):
    with pytest.raises(UserError, match=r"must end in \.png, \.pdf, \.svg"):
        plot.main([str(data / "bench"), "--save", "curve.jpg"])
    with pytest.raises(UserError, match="--smooth must be at least 1"):
        plot.main([str(data / "bench"), "-s", "0"])
    with pytest.raises(UserError, match="--est must be one of"):
        plot.make_plots([str(data / "bench")], estimator="__import__")
