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
    """One part of the report: a title, readable lines, numbers, and files written."""

    title: str
    lines: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def table(self, df: pd.DataFrame, float_format: str = "{:.3f}") -> None:
        """Add a DataFrame to the text, indented."""
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
        """The report as plain text."""
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
    """Shared state of a demo run: the output folder and lazily loaded datasets."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)

    def dataset(self, name: str):
        from cjmodels import datasets

        cache = self.__dict__.setdefault("_datasets", {})
        if name not in cache:
            cache[name] = datasets.load(name)
        return cache[name]

    def log(self, name: str):
        cache = self.__dict__.setdefault("_logs", {})
        if name not in cache:
            cache[name] = self.dataset(name).event_log()
        return cache[name]

    @cached_property
    def plt(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        return plt

    def save(self, fig, name: str, section: Section) -> None:
        path = self.out / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        self.plt.close(fig)
        section.files.append(str(path))

    def write_csv(self, df: pd.DataFrame, name: str, section: Section) -> None:
        path = self.out / name
        df.to_csv(path, index=True)
        section.files.append(str(path))
