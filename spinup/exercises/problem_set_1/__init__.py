"""Problem set 1: the maths and modules of three algorithms (a Gaussian log-likelihood, a PPO
policy, TD3's losses). Check an exercise with ``python -m spinup.exercises.check 1.1``."""
