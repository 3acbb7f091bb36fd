"""Fetch the CDNOW and donations summaries from the ``lifetimes`` wheel into a local cache.

The published BG/NBD, Pareto/NBD, gamma-gamma (Fader, Hardie & Lee 2005) and BG/BB (Fader,
Hardie & Shang 2010) estimates are checked on these data. The files ship inside the Lifetimes
0.11.3 wheel (MIT-licensed code); the CDNOW data themselves were released by Fader and Hardie for
research and teaching without an explicit redistribution licence, so cjmodels does not commit a
copy: the tests use the cached files when present and skip otherwise (the synthetic world
covers the same code paths). Usage::

    python tests/survival/reference/fetch_lifetimes_datasets.py [--dir DIR]

Default folder: ``$CJMODELS_REFERENCE_DIR`` or ``~/.cache/cjmodels/reference``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FILES = (
    "cdnow_customers_summary.csv",
    "cdnow_customers_summary_with_transactions.csv",
    "donations.csv",
)


def default_dir() -> Path:
    env = os.environ.get("CJMODELS_REFERENCE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "cjmodels" / "reference"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(default_dir()))
    out = Path(ap.parse_args().dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "Lifetimes==0.11.3", "--no-deps",
             "-d", tmp, "-q"],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for name in FILES:
                (out / name).write_bytes(z.read(f"lifetimes/datasets/{name}"))
    print(f"wrote {', '.join(FILES)} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
