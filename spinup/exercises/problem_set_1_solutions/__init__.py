"""Solutions to problem set 1. ``python -m spinup.exercises.check 1.1 --solution`` checks them."""
