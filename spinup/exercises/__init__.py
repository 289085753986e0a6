"""Problem sets with automatic checks.

Open a learner's file (``problem_set_1/exercise1_1.py``, ...), fill in the parts marked
``YOUR CODE HERE``, and check your work with ``python -m spinup.exercises.check 1.1``.
The solutions are in ``problem_set_1_solutions/`` (try first!).
"""
