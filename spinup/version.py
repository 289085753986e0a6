"""The package version (one place, read by pyproject.toml)."""

version_info = (1, 0, 0)
__version__ = ".".join(str(v) for v in version_info)
