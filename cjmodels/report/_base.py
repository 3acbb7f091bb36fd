"""The pieces of the demo report: a :class:`Section`, the :class:`Report` and the
:class:`Context` of a run (the output folder and the shipped datasets, loaded once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from cjmodels.results import Result, result_dataclass

__all__ = ["Context", "Report", "Section"]


@dataclass
class Section:
    """One part of the report: a title, readable lines, numbers, and files written.

    A section function of :data:`~cjmodels.report.SECTIONS` (``section(ctx) -> Section``)
    creates one, appends text lines and records its key numbers and the files it wrote; the
    :class:`Report` prints the lines and stores the numbers and files in ``report.json``.

    Parameters
    ----------
    title : str
        The section's heading in the report.
    lines : list of str, optional
        The section's text, one line each (indented by two spaces by convention); empty by
        default.
    values : dict, optional
        The section's key numbers by name (anything :func:`json.dumps` accepts after the
        package's strict-JSON conversion); empty by default.
    files : list of str, optional
        Paths of the figures and tables the section wrote; empty by default.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Section("Conversion")
    >>> s.values["rate"] = 0.152
    >>> s.table(pd.DataFrame({"rate": [0.15234]}, index=["all"]))
    >>> s.lines
    ['           rate', '  all     0.152']
    """

    title: str
    lines: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def table(self, df: pd.DataFrame, float_format: str = "{:.3f}") -> None:
        """Add a DataFrame to the text, indented.

        Parameters
        ----------
        df : pandas.DataFrame
            The table, printed with :meth:`pandas.DataFrame.to_string` (index included).
        float_format : str, default "{:.3f}"
            A :meth:`str.format` pattern for the floats (three decimals by default).
        """
        text = df.to_string(float_format=lambda v: float_format.format(v))
        self.lines.extend("  " + line for line in text.splitlines())


@result_dataclass
class Report(Result):
    """The demo's result: sections in order, with :meth:`text` and :meth:`to_dict`.

    A :class:`~cjmodels.results.Result`: ``summary()`` lists the sections (title, how many
    numbers and files each recorded), ``to_dict()`` holds each section's numbers and files.

    Attributes
    ----------
    out_dir : str
        The folder the figures, tables and ``report.txt`` / ``report.json`` were written to.
    sections : list of Section
        The sections in the order they ran.

    Examples
    --------
    >>> r = Report("output/demo", [Section("Data", lines=["  4 datasets"], values={"n": 4})])
    >>> r
    Report(out_dir='output/demo', n_sections=1)
    >>> r.summary()
      title  n_values  n_files
    0  Data         1        0
    >>> print(r.text().splitlines()[2])
    1. Data
    """

    out_dir: str
    sections: list[Section]

    def text(self) -> str:
        """The report as plain text.

        Returns
        -------
        str
            A heading, then each section numbered and underlined with its lines and the
            files it wrote, then the output folder; the text ``cjmodels demo`` prints and
            writes to ``report.txt``.
        """
        parts = ["cjmodels demo: end-to-end analysis of the shipped synthetic data", ""]
        for i, s in enumerate(self.sections, 1):
            parts += [f"{i}. {s.title}", "-" * (len(s.title) + 3), *s.lines]
            if s.files:
                parts.append("  files: " + ", ".join(s.files))
            parts.append("")
        parts.append(f"figures and tables written to {self.out_dir}/")
        return "\n".join(parts)

    def _repr_fields(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "n_sections": len(self.sections)}

    def _summary(self) -> pd.DataFrame:
        rows = [{"title": s.title, "n_values": len(s.values), "n_files": len(s.files)}
                for s in self.sections]
        return pd.DataFrame(rows, columns=["title", "n_values", "n_files"])

    def _to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "sections": [
                {"title": s.title, "values": s.values, "files": s.files}
                for s in self.sections
            ],
        }


class Context:
    """Shared state of a demo run: the output folder and lazily loaded datasets.

    Every section function receives the one context of the run, so that each shipped dataset
    is loaded (and turned into an event log) once, and figures and tables go to one folder.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The output folder; created (with its parents) when missing. Files in it are
        replaced.

    Attributes
    ----------
    out : pathlib.Path
        The output folder.

    Examples
    --------
    >>> import tempfile
    >>> ctx = Context(tempfile.mkdtemp())
    >>> ctx.log("journeys")
    EventLog(24443 events, 5000 customers, 743 conversions, 10 channels, ...)
    >>> ctx.log("journeys") is ctx.log("journeys")
    True
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)

    def dataset(self, name: str):
        """A shipped dataset, loaded on first use and kept for the run.

        Parameters
        ----------
        name : str
            The dataset's name (see :func:`cjmodels.datasets.list_datasets`).

        Returns
        -------
        cjmodels.datasets.Dataset
            :func:`cjmodels.datasets.load` of ``name``, the same object on every call.
        """
        from cjmodels import datasets

        cache = self.__dict__.setdefault("_datasets", {})
        if name not in cache:
            cache[name] = datasets.load(name)
        return cache[name]

    def log(self, name: str):
        """A shipped dataset's event log, built on first use and kept for the run.

        Parameters
        ----------
        name : str
            The dataset's name.

        Returns
        -------
        cjmodels.data.EventLog
            ``self.dataset(name).event_log()``, the same object on every call.
        """
        cache = self.__dict__.setdefault("_logs", {})
        if name not in cache:
            cache[name] = self.dataset(name).event_log()
        return cache[name]

    @cached_property
    def plt(self):
        """:mod:`matplotlib.pyplot`, imported on first use with the non-interactive Agg backend."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        return plt

    def save(self, fig, name: str, section: Section) -> None:
        """Write a figure to the output folder as ``name``, close it, and record the file.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            The figure (saved at 110 dpi with a tight bounding box).
        name : str
            The file name in the output folder; its extension (``.png``) sets the format.
        section : Section
            The section whose ``files`` list records the path.
        """
        path = self.out / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        self.plt.close(fig)
        section.files.append(str(path))

    def write_csv(self, df: pd.DataFrame, name: str, section: Section) -> None:
        """Write a table to the output folder as CSV (index included) and record the file.

        Parameters
        ----------
        df : pandas.DataFrame
            The table.
        name : str
            The file name in the output folder.
        section : Section
            The section whose ``files`` list records the path.
        """
        path = self.out / name
        df.to_csv(path, index=True)
        section.files.append(str(path))
