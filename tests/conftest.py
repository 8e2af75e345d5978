from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

# ../shared sits beside the checkout; a git worktree may sit deeper, so look upwards.
SHARED = next((p / "shared" for p in Path(__file__).resolve().parents
               if (p / "shared" / "data").is_dir()), Path("/nonexistent"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real instrument files in ../shared/data (read-only)."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    return path


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
