"""Shipped datasets: synthetic worlds written to files, with their datasheets.

Every dataset is generated deterministically from a synthetic world and a fixed seed by
``cjmodels datasets build`` (or :func:`build_datasets`); the repository ships the files in
``datasets/`` together with a JSON datasheet each (schema, size, generating parameters, seed,
ground truth and checksum). When the files are not at hand (an installed wheel), the loaders
regenerate them from the same recipe into a cache folder, so everyone gets the same data.

Examples
--------
>>> from cjmodels.datasets import list_datasets
>>> list_datasets()
['experiment', 'journeys', 'subscriptions', 'transactions']
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetCheck",
    "DatasetSpec",
    "build_dataset",
    "build_datasets",
    "data_dir",
    "list_datasets",
    "load",
    "load_experiment",
    "load_journeys",
    "load_subscriptions",
    "load_transactions",
    "verify_datasets",
]

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"

_COLUMN_DOCS = {
    "customer_id": "customer identifier (int)",
    "timestamp": "event time, ISO 8601 (UTC-naive)",
    "event": "event type: subscribe, assignment, touch, conversion, drop_out or churn",
    "channel": "touchpoint channel of a touch (empty on other events)",
    "stage": "journey stage of the customer at the event",
    "value": "monetary value (revenue on conversions; fee on subscribe rows; 0 otherwise)",
    "variant": "experiment arm the customer was assigned to",
}


@dataclass(frozen=True)
class DatasetSpec:
    """How a shipped dataset is generated: which world, with which parameters and seed.

    The shipped recipes are the values of :data:`DATASETS`; a spec is frozen and only
    describes, :meth:`generate` runs it.

    Parameters
    ----------
    name : str
        The dataset's name (the stem of its files, ``<name>.csv.gz`` and ``<name>.json``).
    description : str
        A sentence on what the dataset holds (written to the datasheet).
    module : str
        The module of the simulator, for example ``"cjmodels.synthetic.journeys"`` (recorded
        in the datasheet; the simulator is looked up in :mod:`cjmodels.synthetic`).
    function : str
        The simulator's name in :mod:`cjmodels.synthetic`, for example
        ``"simulate_journeys"``.
    params : dict
        Its keyword arguments (every one the data depend on, written out), without
        ``random_state``.
    seed : int
        The fixed seed, passed as the simulator's ``random_state``; the datasheet records it
        under ``generator.random_state``.

    Examples
    --------
    >>> from cjmodels.datasets import DATASETS
    >>> spec = DATASETS["subscriptions"]
    >>> spec.function, spec.seed
    ('simulate_subscriptions', 20240101)
    """

    name: str
    description: str
    module: str
    function: str
    params: dict[str, Any]
    seed: int

    def generate(self) -> Any:
        """Run the generator with the recorded parameters and seed.

        Returns
        -------
        cjmodels.synthetic.SyntheticWorld
            The simulated world (events and truth); the same on every call.

        Examples
        --------
        >>> spec = DATASETS["transactions"]
        >>> world = spec.generate()
        >>> world.n_customers
        2357
        """
        from cjmodels import synthetic  # imported by name, so the import contracts see it

        fn = getattr(synthetic, self.function)
        return fn(**self.params, random_state=self.seed)


#: The recipes of the shipped datasets, by name: ``journeys``, ``subscriptions``,
#: ``transactions`` and ``experiment`` (simulator, parameters, seed).
DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "journeys",
            "Touchpoint journeys of 5,000 customers through the seven-stage scheme over 180 days, "
            "ten channels with known effects on stage transitions, repeat purchases.",
            "cjmodels.synthetic.journeys",
            "simulate_journeys",
            {"n_customers": 5000, "scheme": "seven", "days": 180, "start": "2025-01-01"},
            20250101,
        ),
        DatasetSpec(
            "subscriptions",
            "Subscription starts and churns of 3,000 customers over two years, Weibull "
            "proportional hazards with known covariate effects, censored at the end.",
            "cjmodels.synthetic.customer_base",
            "simulate_subscriptions",
            {"n_customers": 3000, "model": "weibull-ph", "start": "2024-01-01", "days": 730},
            20240101,
        ),
        DatasetSpec(
            "transactions",
            "Repeat purchases of a 2,357-customer cohort over 78 weeks from a BG/NBD world with "
            "gamma-gamma spend (parameters of the published CDNOW fits).",
            "cjmodels.synthetic.customer_base",
            "simulate_transactions",
            {"n_customers": 2357, "model": "bgnbd", "start": "2025-01-01", "days": 546},
            19970101,
        ),
        DatasetSpec(
            "experiment",
            "An A/B test of 20,000 customers over 28 days with known effects on conversion and "
            "revenue and a correlated pre-period covariate.",
            "cjmodels.synthetic.experiments",
            "simulate_experiment",
            {"n_customers": 20000, "start": "2025-03-01", "days": 28},
            20250301,
        ),
    )
}


def list_datasets() -> list[str]:
    """Names of the shipped datasets.

    Returns
    -------
    list of str
        The keys of :data:`DATASETS`, sorted.

    Examples
    --------
    >>> list_datasets()
    ['experiment', 'journeys', 'subscriptions', 'transactions']
    """
    return sorted(DATASETS)


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValidationError(f"dataset {name!r} is unknown; choose one of {list_datasets()}.")
    return DATASETS[name]


def data_dir() -> Path:
    """Folder the loaders read from.

    ``$CJMODELS_DATA`` if set; else the repository's ``datasets/`` folder when the package runs
    from a source checkout; else a cache folder (``~/.cache/cjmodels/datasets``) that the
    loaders fill by regenerating the data (``$XDG_CACHE_HOME/cjmodels/datasets`` when
    ``$XDG_CACHE_HOME`` is set).

    Returns
    -------
    pathlib.Path
        The folder (it may not exist yet when it is the cache).

    Examples
    --------
    >>> _ = load_transactions()   # built into the folder if it was not there
    >>> (data_dir() / "transactions.json").exists()
    True
    """
    env = os.environ.get("CJMODELS_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2] / "datasets"
    if (repo / "journeys.json").exists():
        return repo
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cjmodels" / "datasets"


def _csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, date_format=_DATE_FORMAT, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _gzip_bytes(raw: bytes) -> bytes:
    """``raw`` as a gzip member (RFC 1952) whose bytes depend only on ``raw`` and zlib.

    ``gzip.compress(..., mtime=0)`` writes a different OS byte on different Pythons (3 up to
    3.12, 255 from 3.13) and zlib writes its own per-platform code, so the header is written
    here: no name, mtime 0, XFL 2 (best compression), OS 3 (the byte the shipped files carry).
    """
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(raw) + deflate.flush()
    header = b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x02\x03"
    return header + body + struct.pack("<II", zlib.crc32(raw), len(raw) & 0xFFFFFFFF)


def build_dataset(name: str, out_dir: str | Path) -> Dataset:
    """Generate one dataset, write ``<name>.csv.gz`` and ``<name>.json``; return the dataset.

    The CSV is written with ISO 8601 timestamps and compressed so that its bytes depend only on
    the data (no file name or time in the gzip header); the datasheet records the schema, the
    counts, the generator, its seed, the ground truth and the SHA-256 of the uncompressed CSV.
    Existing files of the dataset are replaced.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    out_dir : str or Path
        Folder to write into (created when missing).

    Returns
    -------
    Dataset
        The generated events and the datasheet written beside them.

    Raises
    ------
    cjmodels.errors.ValidationError
        If ``name`` is not a shipped dataset.

    Examples
    --------
    >>> import tempfile
    >>> ds = build_dataset("transactions", tempfile.mkdtemp())
    >>> ds.datasheet["sha256_csv"] == load_transactions().datasheet["sha256_csv"]
    True
    """
    from cjmodels import __version__
    from cjmodels._json import to_jsonable

    spec = _spec(name)
    world = spec.generate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    raw = _csv_bytes(world.events)
    (out / f"{name}.csv.gz").write_bytes(_gzip_bytes(raw))
    ev = world.events
    sheet = {
        "name": name,
        "description": spec.description,
        "file": f"{name}.csv.gz",
        "format": "CSV, gzip-compressed, UTF-8, one row per event, timestamps ISO 8601",
        "n_rows": len(ev),
        "n_customers": int(ev["customer_id"].nunique()),
        "events": {str(k): int(v) for k, v in ev["event"].value_counts().sort_index().items()},
        "time_range": [str(ev["timestamp"].min()), str(ev["timestamp"].max())],
        "columns": {
            c: {"dtype": _dtype_name(ev[c]), "description": _COLUMN_DOCS.get(c, "covariate")}
            for c in ev.columns
        },
        "event_log_options": _jsonable_log_options(world.event_log_options),
        "generator": {
            "function": f"{spec.module}.{spec.function}",
            "params": to_jsonable(spec.params),
            "random_state": spec.seed,
        },
        "truth": to_jsonable(world.truth),
        "sha256_csv": _sha256(raw),
        "size_bytes_gz": (out / f"{name}.csv.gz").stat().st_size,
        "cjmodels_version": __version__,
        "command": "cjmodels datasets build --out datasets",
    }
    (out / f"{name}.json").write_text(json.dumps(sheet, indent=2, sort_keys=False) + "\n")
    return Dataset(name, world.events, sheet)


def _dtype_name(column: pd.Series) -> str:
    """The datasheet's dtype of a column: text is "object" under pandas 2 and 3 alike (pandas 3
    names its default text dtype "str"), so a data set builds to the same datasheet in both."""
    if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
        return "object"
    return str(column.dtype)


def _jsonable_log_options(options: dict[str, Any]) -> dict[str, Any]:
    """EventLog options as JSON: a stage scheme by its preset name, else as its fields."""
    from cjmodels._json import to_jsonable
    from cjmodels.data.stages import StageScheme, get_scheme, list_schemes

    out = dict(options)
    scheme = out.get("scheme")
    if isinstance(scheme, StageScheme):
        preset = scheme.name in list_schemes() and get_scheme(scheme.name) == scheme
        out["scheme"] = scheme.name if preset else scheme.to_dict()
    return to_jsonable(out)


def _log_options_from_json(options: dict[str, Any]) -> dict[str, Any]:
    from cjmodels.data.stages import StageScheme

    out = dict(options)
    if isinstance(out.get("scheme"), dict):
        d = dict(out["scheme"])
        out["scheme"] = StageScheme(
            d["name"],
            tuple(d["stages"]),
            purchase=d["purchase"],
            absorbing=tuple(d.get("absorbing", ())),
            drop_out=d.get("drop_out", "drop_out"),
            description=d.get("description", ""),
        )
    return out


def _datasheet_markdown(sheets: list[dict[str, Any]]) -> str:
    lines = [
        "# Shipped datasets",
        "",
        "Generated by `cjmodels datasets build --out datasets` (or `make datasets`) from the "
        "synthetic worlds in `cjmodels.synthetic`, deterministically from the seeds below. Each "
        "`<name>.json` is the full datasheet: schema, generating parameters, seed, ground truth "
        "and the SHA-256 of the uncompressed CSV; a test regenerates every file and compares "
        "checksums. The figures the worlds are calibrated to are claims from practitioner "
        "articles, used as targets, not facts.",
        "",
        "Load them with `cjmodels.datasets.load_<name>()`.",
        "",
    ]
    for s in sheets:
        lines += [
            f"## {s['name']}",
            "",
            s["description"],
            "",
            f"- file: `{s['file']}` ({s['size_bytes_gz']:,} bytes), {s['n_rows']:,} rows, "
            f"{s['n_customers']:,} customers, {s['time_range'][0]} to {s['time_range'][1]}",
            f"- events: {', '.join(f'{k} {v:,}' for k, v in s['events'].items())}",
            f"- generator: `{s['generator']['function']}` with "
            f"`{json.dumps(s['generator']['params'])}`, random_state "
            f"{s['generator']['random_state']}",
            f"- ground truth keys: {', '.join(sorted(s['truth']))}",
            f"- sha256 (uncompressed CSV): `{s['sha256_csv']}`",
            "",
            "| column | dtype | description |",
            "|---|---|---|",
        ]
        lines += [f"| {c} | {d['dtype']} | {d['description']} |" for c, d in s["columns"].items()]
        lines.append("")
    return "\n".join(lines)


def build_datasets(out_dir: str | Path, names: list[str] | None = None) -> list[Dataset]:
    """Generate every (or the named) shipped dataset into ``out_dir`` with a README.

    The folder's ``README.md`` (the datasheets in Markdown) is written only when every dataset
    is built.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created when missing).
    names : list of str, optional
        Datasets to build; default (None or empty) every one of :func:`list_datasets`.

    Returns
    -------
    list of Dataset
        The datasets built, in the order of ``names`` (default :func:`list_datasets`).

    Examples
    --------
    >>> import tempfile
    >>> [ds.name for ds in build_datasets(tempfile.mkdtemp(), ["transactions"])]
    ['transactions']
    """
    names = names or list_datasets()
    built = [build_dataset(n, out_dir) for n in names]
    if set(names) == set(list_datasets()):
        Path(out_dir, "README.md").write_text(_datasheet_markdown([d.datasheet for d in built]))
    return built


@result_dataclass
class DatasetCheck(Result):
    """The result of :func:`verify_datasets`: whether each dataset's file matches its recipe.

    Attributes
    ----------
    folder : str
        The folder that was checked.
    table : pandas.DataFrame
        One row per dataset (index ``dataset``): ``ok``, and the SHA-256 of the uncompressed CSV
        as recorded in the datasheet (``recorded``), as regenerated from the recipe
        (``regenerated``) and as found in the file (``file``); empty strings where the datasheet
        or the file is missing.

    Examples
    --------
    >>> table = pd.DataFrame({"ok": [True, False], "recorded": ["ab12", "cd34"],
    ...                       "regenerated": ["ab12", "cd34"], "file": ["ab12", "ef56"]},
    ...                      index=pd.Index(["journeys", "experiment"], name="dataset"))
    >>> check = DatasetCheck("datasets", table)
    >>> check
    DatasetCheck(ok=False, n_datasets=2)
    >>> check.table.index[~check.table["ok"]].tolist()
    ['experiment']
    """

    folder: str
    table: pd.DataFrame

    @property
    def ok(self) -> bool:
        """Whether every dataset matches."""
        return bool(self.table["ok"].all())

    def _repr_fields(self) -> dict[str, Any]:
        return {"ok": self.ok, "n_datasets": len(self.table)}

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _to_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "ok": self.ok, "datasets": self.table}


def verify_datasets(folder: str | Path | None = None) -> DatasetCheck:
    """Regenerate each dataset in memory and compare with the files' recorded checksums.

    Parameters
    ----------
    folder : str or Path, optional
        Folder of the built datasets (default :func:`data_dir`).

    Returns
    -------
    DatasetCheck
        ``ok`` and, per dataset, the recorded, regenerated and file checksums.

    Examples
    --------
    >>> verify_datasets().ok
    True
    """
    where = Path(folder) if folder is not None else data_dir()
    rows = []
    for name in list_datasets():
        sheet_path = where / f"{name}.json"
        recorded = regenerated = found = ""
        if sheet_path.exists():
            sheet = json.loads(sheet_path.read_text())
            recorded = sheet["sha256_csv"]
            regenerated = _sha256(_csv_bytes(_spec(name).generate().events))
            if (where / sheet["file"]).exists():
                found = _sha256(gzip.decompress((where / sheet["file"]).read_bytes()))
        rows.append({"dataset": name, "ok": bool(recorded) and recorded == regenerated == found,
                     "recorded": recorded, "regenerated": regenerated, "file": found})
    return DatasetCheck(str(where), pd.DataFrame(rows).set_index("dataset"))


@result_dataclass
class Dataset(Result):
    """A loaded dataset: its events, its datasheet and ground truth.

    A :class:`~cjmodels.results.Result`: ``summary()`` is the shape of the data (events and
    customers per event type), ``to_dict()`` the datasheet (schema, generator, seed, truth,
    checksum) without the events.

    Attributes
    ----------
    name : str
        The dataset's name (see :func:`list_datasets`).
    events : pandas.DataFrame
        The event log as read from the file.
    datasheet : dict
        The JSON datasheet written by :func:`build_dataset`.

    Examples
    --------
    >>> from cjmodels.datasets import load_experiment
    >>> ds = load_experiment()
    >>> ds
    Dataset(name='experiment', n_events=36772, n_customers=20000)
    >>> ds.summary().loc["assignment"].tolist()
    [20000, 20000]
    >>> ds.truth["control"]
    'control'
    """

    name: str
    events: pd.DataFrame
    datasheet: dict[str, Any]

    @property
    def truth(self) -> dict[str, Any]:
        """The ground truth recorded when the data was generated."""
        return self.datasheet["truth"]

    @property
    def n_events(self) -> int:
        """Number of rows of :attr:`events`."""
        return len(self.events)

    @property
    def n_customers(self) -> int:
        """Number of distinct customers in :attr:`events`."""
        return int(self.events["customer_id"].nunique())

    def event_log(self) -> EventLog:
        """The events as a validated :class:`~cjmodels.data.EventLog`.

        The log is built with the datasheet's ``event_log_options`` (the stage scheme and the
        observation window of the simulation), so journeys still open at the window's end are
        censored.

        Returns
        -------
        cjmodels.data.EventLog
            A new validated log on every call.

        Examples
        --------
        >>> log = load_journeys().event_log()
        >>> log.n_customers, log.scheme.name
        (5000, 'seven')
        """
        return EventLog(
            self.events, **_log_options_from_json(self.datasheet.get("event_log_options", {}))
        )

    def _repr_fields(self) -> dict[str, Any]:
        return {"name": self.name, "n_events": self.n_events, "n_customers": self.n_customers}

    def _summary(self) -> pd.DataFrame:
        g = self.events.groupby("event", sort=True)
        return pd.DataFrame(
            {"events": g.size(), "customers": g["customer_id"].nunique()}
        ).rename_axis("event")

    def _to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "n_events": self.n_events, "n_customers": self.n_customers,
                "datasheet": self.datasheet}


def load(name: str) -> Dataset:
    """Load a shipped dataset by name (regenerating it into the cache when absent).

    The file is read from :func:`data_dir`; when its datasheet is missing there, the dataset is
    built first from its recipe (:func:`build_dataset`). The uncompressed CSV is checked
    against the datasheet's checksum and read with the recorded dtypes.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.

    Returns
    -------
    Dataset
        The events, the datasheet and (through :attr:`Dataset.truth`) the ground truth.

    Raises
    ------
    cjmodels.errors.ValidationError
        If ``name`` is unknown, or the file does not match its datasheet's checksum (rebuild
        it with ``cjmodels datasets build``).

    See Also
    --------
    load_journeys, load_subscriptions, load_transactions, load_experiment

    Examples
    --------
    >>> ds = load("subscriptions")
    >>> ds
    Dataset(name='subscriptions', n_events=4322, n_customers=3000)
    >>> ds.datasheet["generator"]["random_state"]
    20240101
    """
    _spec(name)
    folder = data_dir()
    sheet_path = folder / f"{name}.json"
    if not sheet_path.exists():
        build_dataset(name, folder)
    sheet = json.loads(sheet_path.read_text())
    raw = gzip.decompress((folder / sheet["file"]).read_bytes())
    if _sha256(raw) != sheet["sha256_csv"]:
        raise ValidationError(
            f"dataset {name!r} in {folder} does not match its datasheet checksum; rebuild it "
            "with `cjmodels datasets build`."
        )
    dtypes = {c: d["dtype"] for c, d in sheet["columns"].items() if d["dtype"] != "object"}
    dates = [c for c, d in dtypes.items() if d.startswith("datetime64")]
    for c in dates:
        dtypes.pop(c)
    df = pd.read_csv(io.BytesIO(raw), dtype=dtypes, parse_dates=dates, keep_default_na=True)
    return Dataset(name, df, sheet)


def load_journeys() -> Dataset:
    """Touchpoint journeys with stages and channels (see ``datasets/journeys.json``).

    5,000 customers through the seven-stage scheme over 180 days from 2025-01-01, ten channels
    with known effects on the stage transitions, repeat purchases
    (:func:`cjmodels.synthetic.simulate_journeys`, seed 20250101). Columns ``customer_id``,
    ``timestamp``, ``event`` (``touch``, ``conversion``), ``channel``, ``stage``, ``value``,
    ``segment`` and ``region``.

    Returns
    -------
    Dataset
        The events, the datasheet and the ground truth (exact conversion probabilities and
        removal effects among them).

    Examples
    --------
    >>> ds = load_journeys()
    >>> ds
    Dataset(name='journeys', n_events=24443, n_customers=5000)
    >>> ds.summary()
                events  customers
    event
    conversion     743        531
    touch        23700       5000
    """
    return load("journeys")


def load_subscriptions() -> Dataset:
    """Subscriptions and churn with covariates (see ``datasets/subscriptions.json``).

    3,000 subscribers over two years from 2024-01-01, Weibull proportional hazards with known
    covariate effects (``plan``, ``acquisition_channel``, ``age``), censored at the end
    (:func:`cjmodels.synthetic.simulate_subscriptions`, seed 20240101).

    Returns
    -------
    Dataset
        The ``subscribe`` and ``churn`` events, the datasheet and the ground truth (the true
        coefficients and survival curve among them).

    Examples
    --------
    >>> ds = load_subscriptions()
    >>> ds.summary()["events"].to_dict()
    {'churn': 1322, 'subscribe': 3000}
    >>> ds.truth["coefficients"]["plan_premium"]
    -0.5
    """
    return load("subscriptions")


def load_transactions() -> Dataset:
    """Repeat purchases of a customer cohort (see ``datasets/transactions.json``).

    A cohort of 2,357 customers over 78 weeks from a BG/NBD world with gamma-gamma spend, with
    the parameters of the published CDNOW fits
    (:func:`cjmodels.synthetic.simulate_transactions`, seed 19970101).

    Returns
    -------
    Dataset
        The ``conversion`` events with their ``value`` (spend), the datasheet and the ground
        truth (the BG/NBD and gamma-gamma parameters among them).

    Examples
    --------
    >>> ds = load_transactions()
    >>> ds
    Dataset(name='transactions', n_events=6412, n_customers=2357)
    >>> ds.truth["params"]
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    """
    return load("transactions")


def load_experiment() -> Dataset:
    """An A/B experiment with a pre-period covariate (see ``datasets/experiment.json``).

    20,000 customers over 28 days from 2025-03-01, control and treatment with known effects on
    conversion and revenue, and pre-period purchases correlated with the outcome
    (:func:`cjmodels.synthetic.simulate_experiment`, seed 20250301). The arm is in the
    ``variant`` column.

    Returns
    -------
    Dataset
        The ``assignment`` and ``conversion`` events, the datasheet and the ground truth (the
        true effects among them).

    Examples
    --------
    >>> ds = load_experiment()
    >>> ds.truth["arm_names"]
    ['control', 'treatment']
    >>> round(ds.truth["effects"]["treatment"]["eventual"]["conversion_ratio"], 2)
    1.1
    """
    return load("experiment")
