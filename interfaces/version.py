"""The product's version: the one written in pyproject.toml, read from the installed distribution."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "incident-command"


def product_version() -> str:
    """The version pyproject.toml gives the distribution; "0+unknown" when run from an uninstalled tree."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"
