"""Run a benchmark suite from a checkout of spinup.

    python benchmarks/run.py SUITE [options]

is ``python -m spinup.run bench SUITE [options]`` (see ``spinup/bench.py`` and
``benchmarks/README.md``), except that the summary goes next to this file, into
``benchmarks/results/<SUITE>/``, wherever you run it from (unless ``--results_dir`` says otherwise).
"""

import os.path as osp
import sys

from spinup.bench import build_parser, main
from spinup.utils.errors import UserError

RESULTS = osp.join(osp.dirname(osp.abspath(__file__)), "results")


def with_results_dir(argv: list[str]) -> list[str]:
    """``argv`` with ``--results_dir benchmarks/results/<suite>`` added if it has none."""
    args = build_parser().parse_args(argv)
    if args.results_dir is not None or args.suite == "list":
        return argv
    return [*argv, "--results_dir", osp.join(RESULTS, args.suite)]


if __name__ == "__main__":
    try:
        sys.exit(main(with_results_dir(sys.argv[1:])))
    except UserError as e:
        print(f"\nError: {e}\n", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (the harness stops its runs first)
        print("\nInterrupted: run the same command again to continue.", file=sys.stderr)
        sys.exit(130)
