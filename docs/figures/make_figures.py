"""Draw the course's diagrams as SVG files next to this script.

    python docs/figures/make_figures.py

Writes ``agent_env_loop.svg`` (the agent-environment loop of Part 1) and ``rl_taxonomy.svg``
(the map of RL algorithms of Part 2). The SVGs are committed, so building the docs does not need
this script; run it again after changing a drawing, and commit both the script and its output.
Text stays text in the SVG (``svg.fonttype = none``), and the files carry no date, so running
the script twice gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent

# The palette: a dark ink, one blue for what spinup implements, soft fills for the rest.
INK = "#1f2933"
SPINUP = "#1d5fa8"
FILL = {"agent": "#dbe9f7", "env": "#e4f2e1", "box": "#f4f5f7", "head": "#e9e4f5", "spinup": "#dbe9f7"}

plt.rcParams.update({
    "svg.fonttype": "none",
    "svg.hashsalt": "spinup-figures",
    "font.family": "DejaVu Sans",
    "font.size": 11,
})


def box(ax, x, y, w, h, text, fill, *, bold=False, color=INK, size=11, edge=None, lw=1.2):
    """A rounded box centred on (x, y), w by h in axes units, with its label."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.012,rounding_size=0.02",
                                facecolor=fill, edgecolor=edge or color, linewidth=lw))
    ax.text(x, y, text, ha="center", va="center", color=color, fontsize=size,
            fontweight="bold" if bold else "normal", linespacing=1.4)


def arrow(ax, start, end, *, rad=0.0, color=INK, lw=1.4, style="-|>"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=14, color=color, lw=lw,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0))


def save(fig, name: str) -> Path:
    path = HERE / name
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return path


def agent_env_loop() -> Path:
    """The agent acts; the environment answers with a new state and a reward."""
    fig = plt.figure(figsize=(7.2, 3.2))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")
    box(ax, 0.2, 0.5, 0.26, 0.34, "Agent\n" r"policy $\pi(a \mid s)$", FILL["agent"], bold=False, size=12)
    box(ax, 0.8, 0.5, 0.26, 0.34, "Environment\n" r"$s_{t+1} \sim P(\cdot \mid s_t, a_t)$", FILL["env"], size=12)
    # Top: the action goes out; bottom: the state and reward come back.
    arrow(ax, (0.27, 0.69), (0.73, 0.69), rad=-0.35)
    ax.text(0.5, 0.93, r"action $a_t$", ha="center", va="center", fontsize=12, color=INK)
    arrow(ax, (0.73, 0.31), (0.27, 0.31), rad=-0.35)
    ax.text(0.5, 0.07, r"next state $s_{t+1}$ and reward $r_t$", ha="center", va="center", fontsize=12, color=INK)
    return save(fig, "agent_env_loop.svg")


# The map of Part 2. Each column: its heading and the algorithms under it; spinup's own in blue.
SPINUP_ALGOS = {"VPG", "TRPO", "PPO", "DDPG", "TD3", "SAC", "DQN"}
COLUMNS = [
    # (x, heading, algorithms)
    (0.115, "Policy\noptimisation", ["VPG", "TRPO", "PPO", "A2C / A3C"]),
    (0.305, "Both: policy\nand Q-function", ["DDPG", "TD3", "SAC"]),
    (0.495, "Q-learning", ["DQN", "C51", "QR-DQN", "HER"]),
    (0.705, "Learn the\nmodel", ["World Models", "I2A", "MBMF", "MBVE"]),
    (0.895, "Given the\nmodel", ["AlphaZero"]),
]


def rl_taxonomy() -> Path:
    """Model-free or model-based; then what is learned; then a few algorithms of each kind."""
    fig = plt.figure(figsize=(9.6, 5.6))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")

    root, free, based = (0.5, 0.92), (0.305, 0.76), (0.8, 0.76)
    box(ax, *root, 0.24, 0.075, "RL algorithms", FILL["head"], bold=True, size=12)
    box(ax, *free, 0.22, 0.07, "Model-free", FILL["head"], bold=True)
    box(ax, *based, 0.22, 0.07, "Model-based", FILL["head"], bold=True)
    arrow(ax, (root[0] - 0.05, root[1] - 0.038), (free[0] + 0.03, free[1] + 0.036))
    arrow(ax, (root[0] + 0.05, root[1] - 0.038), (based[0] - 0.03, based[1] + 0.036))

    head_y, first_y, step = 0.57, 0.43, 0.085
    for x, heading, algos in COLUMNS:
        parent = free if x < 0.6 else based
        arrow(ax, (parent[0] + (x - parent[0]) * 0.25, parent[1] - 0.036), (x, head_y + 0.055))
        box(ax, x, head_y, 0.17, 0.1, heading, FILL["box"], bold=True, size=10.5)
        for i, name in enumerate(algos):
            ours = name in SPINUP_ALGOS
            box(ax, x, first_y - i * step, 0.15, 0.06, name, FILL["spinup"] if ours else "white",
                bold=ours, color=SPINUP if ours else INK, size=10.5, lw=1.6 if ours else 0.9)
        ax.plot([x, x], [head_y - 0.05, first_y + 0.03], color=INK, lw=0.9)

    ax.text(0.5, 0.035, "Bold blue: implemented in spinup. The middle column learns a policy and a "
            "Q-function at once, sitting between the two model-free families.",
            ha="center", va="center", fontsize=9.5, color=INK, style="italic")
    return save(fig, "rl_taxonomy.svg")


def main() -> list[Path]:
    paths = [agent_env_loop(), rl_taxonomy()]
    for p in paths:
        print(f"wrote {p}")
    return paths


if __name__ == "__main__":
    main()
