"""Reading and writing voxel volumes; thresholds and label maps.

Formats, chosen by suffix: ``.tif``/``.tiff`` (a multi-page stack, via tifffile), a folder of
2D TIFF slices (sorted by name), ``.raw``/``.bin``/``.vol`` (headerless; needs ``shape`` and
``dtype``), ``.npy`` and ``.h5``/``.hdf5`` (via h5py, optional; ``dataset`` names the array
when the file holds more than one). Arrays come back indexed ``[x, y, z]``: a TIFF stack's
pages are the last axis (z), each page ``[x, y]`` as stored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from ssblab.errors import InputError, ResourceError, check_choice, require_package

RAW_SUFFIXES = (".raw", ".bin", ".vol")
TIFF_SUFFIXES = (".tif", ".tiff")
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")
ByteOrder = Literal["little", "big"]


def load_volume(path: str | os.PathLike, *, shape: Sequence[int] | None = None,
                dtype: str | None = None, dataset: str | None = None,
                byte_order: ByteOrder = "little") -> np.ndarray:
    """Read a 3D volume from ``path`` (see the module doc for formats).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> np.arange(24, dtype=np.uint16).tofile(folder / "v.raw")
    >>> load_volume(folder / "v.raw", shape=(2, 3, 4), dtype="uint16").shape
    (2, 3, 4)
    >>> load_volume(folder / "v.raw", shape=(2, 3, 5), dtype="uint16")
    Traceback (most recent call last):
    ...
    ssblab.errors.InputError: ...v.raw: expected 30 voxels x 2 bytes = 60 bytes for shape (2, 3, 5) ...
    """
    check_choice(byte_order, ByteOrder, name="byte_order")
    from ssblab.files import check_input_file

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    known = TIFF_SUFFIXES + (".npy",) + HDF5_SUFFIXES + RAW_SUFFIXES
    if not path.is_dir() and suffix not in known:
        raise InputError(f"{path}: unknown volume format {suffix!r}; expected one of "
                         f"{', '.join(known)} or a folder of TIFF slices")
    if not path.is_dir():
        check_input_file(path, kind="volume")
    try:
        if path.is_dir():
            volume = _read_tiff_folder(path)
        elif suffix in TIFF_SUFFIXES:
            volume = np.moveaxis(_read_tiff(path), 0, -1)
        elif suffix == ".npy":
            volume = np.load(path, allow_pickle=False)
        elif suffix in HDF5_SUFFIXES:
            volume = _read_hdf5(path, dataset)
        else:
            volume = _read_raw(path, shape, dtype, byte_order)
    except (InputError, ResourceError, MemoryError):
        raise
    except Exception as exc:  # tifffile, numpy and h5py raise many kinds on damaged files
        text = " ".join(str(exc).split())[:300]
        raise InputError(f"{path}: not a readable {suffix or 'TIFF folder'} volume "
                         f"({type(exc).__name__}: {text})") from None
    volume = np.asarray(volume)
    if volume.dtype.kind not in "biuf":
        raise InputError(f"{path}: expected numbers (labels or grey values), found an array of "
                         f"dtype {volume.dtype}")
    if volume.size == 0:
        raise InputError(f"{path}: the volume is empty (shape {volume.shape})")
    if volume.ndim == 2:
        volume = volume[:, :, None]
    if volume.ndim != 3:
        raise InputError(f"{path}: expected a 3D volume, found an array of shape {volume.shape}")
    if shape is not None and suffix not in RAW_SUFFIXES and tuple(shape) != volume.shape:
        raise InputError(f"{path}: expected shape {tuple(shape)}, found {volume.shape}")
    return volume


def save_volume(path: str | os.PathLike, volume: np.ndarray) -> Path:
    """Write ``volume`` as ``.npy`` or a multi-page ``.tif`` (pages along z), atomically."""
    import io

    from ssblab.files import atomic_write

    path = Path(path)
    volume = np.asarray(volume)
    buffer = io.BytesIO()
    if path.suffix.lower() == ".npy":
        np.save(buffer, volume)
    elif path.suffix.lower() in TIFF_SUFFIXES:
        tifffile = require_package("tifffile", extra="micro", purpose="writing TIFF stacks")
        tifffile.imwrite(buffer, np.ascontiguousarray(np.moveaxis(volume, -1, 0)),
                         photometric="minisblack")  # 3 or 4 pages are not an RGB image
    else:
        raise InputError(f"{path}: expected a .npy or .tif output, found {path.suffix!r}")
    return atomic_write(path, buffer.getvalue())


def segment(volume: np.ndarray, *, thresholds: float | Sequence[float] | str | None = None,
            label_map: Mapping[int, int] | None = None) -> np.ndarray:
    """Turn a grey-value volume into phase labels.

    ``thresholds`` splits grey values into ``len(thresholds) + 1`` phases (a value equal to a
    threshold goes to the upper phase); ``"otsu"`` picks one threshold with Otsu's method
    (scikit-image). ``label_map`` then renames labels (e.g. ``{255: 1}`` for an 8-bit binary
    image). With neither, the volume must already hold integer labels.

    Examples
    --------
    >>> segment(np.array([[[0.1, 0.6, 0.9]]]), thresholds=[0.5, 0.8]).tolist()
    [[[0, 1, 2]]]
    >>> segment(np.array([[[0, 255]]]), label_map={255: 1}).tolist()
    [[[0, 1]]]
    """
    volume = np.asarray(volume)
    if thresholds is not None:
        if isinstance(thresholds, str):
            if thresholds != "otsu":
                raise InputError(f"thresholds: expected numbers or 'otsu', found {thresholds!r}")
            from skimage.filters import threshold_otsu

            thresholds = [float(threshold_otsu(volume))]
        edges = np.atleast_1d(np.asarray(thresholds, dtype=float))
        if np.any(np.diff(edges) <= 0):
            raise InputError(f"thresholds: expected increasing values, found {edges.tolist()}")
        labels = np.digitize(volume, edges).astype(np.uint8)
    else:
        if not np.issubdtype(volume.dtype, np.integer) and volume.dtype != bool:
            raise InputError("volume: grey values need thresholds= (numbers or 'otsu') to become "
                             f"phase labels; found dtype {volume.dtype}")
        labels = volume.astype(np.int64)
    if label_map:
        mapped = labels.copy()  # map from the original labels so that renames never chain
        for old, new in label_map.items():
            mapped[labels == int(old)] = int(new)
        labels = mapped
    if labels.min() < 0 or labels.max() > 255:
        return labels
    return labels.astype(np.uint8)


def _read_raw(path, shape, dtype, byte_order):
    if shape is None or dtype is None:
        raise InputError(f"{path}: a raw volume needs shape= (nx, ny, nz) and dtype= (e.g. uint8)")
    try:
        dt = np.dtype(dtype).newbyteorder("<" if byte_order == "little" else ">")
    except TypeError as exc:
        raise InputError(f"dtype: expected a NumPy dtype name such as 'uint8', found {dtype!r}") from exc
    shape = tuple(int(s) for s in shape)
    expected = int(np.prod(shape)) * dt.itemsize
    found = path.stat().st_size
    if found != expected:
        raise InputError(f"{path}: expected {int(np.prod(shape))} voxels x {dt.itemsize} bytes = "
                         f"{expected} bytes for shape {shape} {np.dtype(dtype).name}, found {found} bytes")
    return np.fromfile(path, dtype=dt).reshape(shape).astype(dt.newbyteorder("="))


MAX_TIFF_PAGES = 65536


def _read_tiff(path) -> np.ndarray:
    """A TIFF file's image data, after walking its page list with a bound: a damaged file whose
    page offsets form a loop would otherwise keep tifffile indexing pages without end."""
    tifffile = require_package("tifffile", extra="micro", purpose="reading TIFF stacks")
    with tifffile.TiffFile(path) as tif:
        for index in range(MAX_TIFF_PAGES + 1):
            try:
                tif.pages[index]
            except IndexError:
                break
        else:
            raise InputError(f"{path}: more than {MAX_TIFF_PAGES} pages; the page list is "
                             "damaged (or loops)")
        return np.asarray(tif.asarray())


def _read_tiff_folder(path):
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in TIFF_SUFFIXES)
    if not files:
        raise InputError(f"{path}: folder holds no .tif/.tiff slices")
    slices = [_read_tiff(f) for f in files]
    shapes = {s.shape for s in slices}
    if len(shapes) != 1:
        raise InputError(f"{path}: slices differ in shape: {sorted(shapes)}")
    return np.stack(slices, axis=-1)


def _read_hdf5(path, dataset):
    h5py = require_package("h5py", extra="micro", purpose="reading HDF5 volumes")
    with h5py.File(path, "r") as handle:
        names: list[str] = []
        handle.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        if dataset is None:
            candidates = [n for n in names if handle[n].ndim == 3]
            if len(candidates) != 1:
                raise InputError(f"{path}: pass dataset=, one of {names} "
                                 f"(found {len(candidates)} 3D datasets)")
            dataset = candidates[0]
        if dataset not in handle:
            raise InputError(f"{path}: no dataset {dataset!r}; found {names}")
        return np.asarray(handle[dataset])
