from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

# Real instrument files from public projects, each folder with its licence files (tests/data/README.md).
DATA = Path(__file__).resolve().parent / "data"
collect_ignore_glob = ["data/*"]  # data folders and their inspection scripts are not tests


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real instrument files in tests/data (read-only)."""
    return DATA


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_collection_modifyitems(config, items):
    """Long fuzz runs only when asked for with ``-m fuzz`` (make test leaves them out)."""
    if "fuzz" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="long fuzz run: select it with -m fuzz")
    for item in items:
        if "fuzz" in item.keywords:
            item.add_marker(skip)
