"""Problem set 2: experiments to run, plot and explain (value-function fitting in TRPO; a
silent bug in DDPG). ``python -m spinup.exercises.check 2.1`` runs one."""
