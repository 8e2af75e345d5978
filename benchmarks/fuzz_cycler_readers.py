"""Mutation fuzzing of read_cycler on the public corpus: every mutant must read or raise an
SSBLabError, never another exception. Not a timing benchmark; the numbers it prints are quoted
in docs/echem_io.md and docs/validation.md.

Run from the repository root: ``python benchmarks/fuzz_cycler_readers.py SEED`` (files under
700 kB, Arbin .res skipped for time; 12 mutants per file: truncation, byte flips, an inserted
delimiter/line break/NUL/BOM/``1e37``/``nan``/``1.5``, a deleted line break).
"""

import collections
import glob
import os
import random
import sys
import tempfile
import traceback
import warnings

from ssblab.echem.io import read_cycler
from ssblab.errors import SSBLabError

INSERTS = [b"\n", b",", b"\t", b";", b"1e37", b"\x00", b"\xef\xbb\xbf", b"nan", b"1.5"]


def mutate(raw: bytes, kind: int, rng: random.Random) -> bytes:
    b = bytearray(raw)
    if kind == 0:
        return bytes(b[:rng.randrange(1, len(b))])
    if kind == 1:
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 2:
        i = rng.randrange(len(b))
        b[i:i] = rng.choice(INSERTS)
    else:
        i = raw.find(b"\n", rng.randrange(len(raw)))
        if i > 0:
            del b[i]
    return bytes(b)


def main(seed: int) -> int:
    rng = random.Random(seed)
    files = sorted(f for f in glob.glob("tests/data/cycling_corpus/*/*") +
                   glob.glob("tests/data/cycling/*") if "LICENSE" not in f and
                   os.path.isfile(f) and 0 < os.path.getsize(f) < 700_000 and
                   not f.endswith(".res"))
    failures: collections.Counter = collections.Counter()
    n = 0
    with tempfile.TemporaryDirectory() as folder:
        for f in files:
            raw = open(f, "rb").read()
            path = os.path.join(folder, "mutant" + (os.path.splitext(f)[1] or ".txt"))
            for k in range(12):
                with open(path, "wb") as handle:
                    handle.write(mutate(raw, k % 4, rng))
                n += 1
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        read_cycler(path)
                    except SSBLabError:
                        pass
                    except Exception as exc:  # what this script looks for
                        where = traceback.extract_tb(exc.__traceback__)[-1]
                        failures[(type(exc).__name__, where.name, f)] += 1
    print(f"seed {seed}: {n} mutants, {sum(failures.values())} tracebacks")
    for key, count in failures.most_common():
        print(count, key)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
