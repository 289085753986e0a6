"""How to use the Logger outside RL: train a small network to fit a curve it generates itself.

Each epoch takes ``steps_per_epoch`` gradient steps on fresh noisy samples of
y = sin(3 x1) + 0.5 x2^2 (nothing is downloaded), stores the loss of every step, evaluates on a
fixed held-out set, and writes one row of statistics to ``progress.txt``. The model's weights go
to ``pyt_save/model.pt`` every ``save_freq`` epochs.

Run it with:  python spinup/examples/train_regression.py --epochs 5 --exp_name regression
and plot it with:  python -m spinup.run plot data/regression --value TestLoss
"""

import argparse
import time

import torch
import torch.nn as nn

from spinup.utils.logx import EpochLogger


class MLPRegressor(nn.Module):
    """An MLP from 2 inputs to 1 output with ``layers`` hidden layers of ``hidden_size`` units."""

    def __init__(self, layers=2, hidden_size=64):
        super().__init__()
        sizes = [2] + [hidden_size] * layers
        blocks = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            blocks += [nn.Linear(n_in, n_out), nn.Tanh()]
        self.net = nn.Sequential(*blocks, nn.Linear(sizes[-1], 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def make_data(n, generator, noise=0.1):
    """``n`` inputs drawn uniformly from [-1, 1]^2 and their noisy targets."""
    x = 2 * torch.rand(n, 2, generator=generator) - 1
    y = torch.sin(3 * x[:, 0]) + 0.5 * x[:, 1] ** 2
    return x, y + noise * torch.randn(n, generator=generator)


def train_regression(steps_per_epoch=100, epochs=5, lr=1e-3, layers=2, hidden_size=64,
                     batch_size=64, seed=0, logger_kwargs=dict(), save_freq=1):
    """Fit the curve with Adam and log the progress.

    Args:
        steps_per_epoch: gradient steps per epoch (one logged row per epoch).
        epochs: number of epochs.
        lr: Adam's learning rate.
        layers, hidden_size: the network's depth and width.
        batch_size: fresh samples per gradient step.
        seed: seeds torch and the data.
        logger_kwargs: for :class:`EpochLogger`, e.g. ``dict(output_dir=..., exp_name=...)``.
        save_freq: save the model every this many epochs (and after the last one).
    """
    config = dict(locals())
    logger = EpochLogger(**logger_kwargs)
    logger.save_config(config)

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    test_x, test_y = make_data(1000, gen)

    model_kwargs = dict(layers=layers, hidden_size=hidden_size)
    model = MLPRegressor(**model_kwargs)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    logger.setup_pytorch_saver(model, model_kwargs)

    start_time = time.time()
    for epoch in range(epochs):
        for _ in range(steps_per_epoch):
            x, y = make_data(batch_size, gen)
            loss = ((model(x) - y) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            logger.store(Loss=loss.item())          # summarised when the epoch is logged

        with torch.no_grad():
            test_loss = ((model(test_x) - test_y) ** 2).mean().item()

        if (epoch + 1) % save_freq == 0 or epoch == epochs - 1:
            logger.save_state({}, epoch)

        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("Loss", with_min_and_max=True)  # AverageLoss, StdLoss, MaxLoss, MinLoss
        logger.log_tabular("TestLoss", test_loss)
        logger.log_tabular("TotalGradientSteps", (epoch + 1) * steps_per_epoch)
        logger.log_tabular("Time", time.time() - start_time)
        logger.dump_tabular()
    return test_loss


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps_per_epoch", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exp_name", type=str, default="regression")
    args = parser.parse_args()

    from spinup.utils.run_folders import setup_logger_kwargs

    train_regression(steps_per_epoch=args.steps_per_epoch, epochs=args.epochs, lr=args.lr,
                     seed=args.seed, logger_kwargs=setup_logger_kwargs(args.exp_name, args.seed))
