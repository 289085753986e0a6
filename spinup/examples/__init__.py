"""Examples: the policy-gradient walkthrough (``pg_math/``), an ExperimentGrid sweep and a
Logger example. Each file runs on its own with ``python <file> --help``."""
