import numpy as np
import pytest

from ssblab.errors import InputError
from ssblab.microstructure.io import load_volume, save_volume, segment


@pytest.fixture
def volume():
    return np.random.default_rng(0).integers(0, 3, (5, 6, 7)).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".npy", ".tif"])
def test_save_and_load_round_trip(tmp_path, volume, suffix):
    path = save_volume(tmp_path / f"v{suffix}", volume)
    np.testing.assert_array_equal(load_volume(path), volume)


def test_tiff_folder_of_slices_stacks_along_z(tmp_path, volume):
    import tifffile

    for k in range(volume.shape[2]):
        tifffile.imwrite(tmp_path / f"slice_{k:03d}.tif", volume[:, :, k])
    np.testing.assert_array_equal(load_volume(tmp_path), volume)


def test_raw_needs_shape_and_dtype_and_checks_size(tmp_path, volume):
    path = tmp_path / "v.raw"
    volume.astype(">u2").tofile(path)
    loaded = load_volume(path, shape=volume.shape, dtype="uint16", byte_order="big")
    np.testing.assert_array_equal(loaded, volume)
    with pytest.raises(InputError, match="needs shape"):
        load_volume(path)
    with pytest.raises(InputError, match="expected 462 voxels x 1 bytes = 462 bytes.*found 420 bytes"):
        load_volume(path, shape=(6, 7, 11), dtype="uint8")


def test_hdf5_picks_the_single_3d_dataset_or_asks(tmp_path, volume):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "v.h5"
    with h5py.File(path, "w") as f:
        f["scan/labels"] = volume
        f["scan/other"] = volume + 1
        f["meta"] = np.arange(3)
    with pytest.raises(InputError, match="pass dataset="):
        load_volume(path)
    np.testing.assert_array_equal(load_volume(path, dataset="scan/labels"), volume)
    with pytest.raises(InputError, match="no dataset 'nope'"):
        load_volume(path, dataset="nope")


def test_unknown_format_and_missing_file(tmp_path):
    (tmp_path / "v.xyz").write_text("")
    with pytest.raises(InputError, match="unknown volume format '.xyz'"):
        load_volume(tmp_path / "v.xyz")
    with pytest.raises(InputError, match="no such file"):
        load_volume(tmp_path / "missing.npy")


def test_segmentation_thresholds_otsu_and_label_maps():
    grey = np.concatenate([np.full(50, 10.0), np.full(50, 200.0)]).reshape(2, 5, 10)
    np.testing.assert_array_equal(segment(grey, thresholds="otsu"), (grey > 100).astype(np.uint8))
    np.testing.assert_array_equal(segment(grey, thresholds=[5, 100]), np.where(grey > 100, 2, 1))
    swapped = segment(np.array([[[1, 2]]]), label_map={1: 2, 2: 1})
    assert swapped.tolist() == [[[2, 1]]]
    with pytest.raises(InputError, match="need thresholds"):
        segment(grey)
    with pytest.raises(InputError, match="increasing"):
        segment(grey, thresholds=[100, 5])
