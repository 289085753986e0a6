"""The code walked through in the docs' "Intro to Policy Optimization": the simplest policy
gradient (``1_simple_pg.py``) and its reward-to-go version (``2_rtg_pg.py``)."""
