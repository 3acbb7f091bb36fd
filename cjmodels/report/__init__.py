"""The main job: an end-to-end analysis of the shipped synthetic data.

``cjmodels demo`` (and ``make demo``) runs every section of :data:`SECTIONS` on the shipped
datasets, prints a readable report, and writes figures (PNG) and tables (CSV) to an output
folder. One module per part of the package holds its sections (``cjmodels.report.data``,
``.markov``, ``.attribution``, ``.survival``, ``.experiments``); a section is a function
``section(ctx) -> Section``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cjmodels.report import attribution, data, experiments, markov, survival
from cjmodels.report._base import Context, Report, Section

__all__ = ["SECTIONS", "Context", "Report", "Section", "run_demo"]

#: The report's sections, in order: the data layer's, then each capability's.
SECTIONS: list[Callable[[Context], Section]] = [
    *data.sections,
    *markov.sections,
    *attribution.sections,
    *survival.sections,
    *experiments.sections,
]


def run_demo(out_dir: str | Path = "output/demo") -> Report:
    """Run every section on the shipped data; write figures and tables to ``out_dir``.

    What ``cjmodels demo`` runs (the command also refuses an output folder that already holds
    files unless ``--force`` is given; this function does not check).

    Parameters
    ----------
    out_dir : str or pathlib.Path, default "output/demo"
        The output folder, created when missing. Besides the sections' figures (PNG) and
        tables (CSV) it receives ``report.txt`` (:meth:`Report.text`) and ``report.json``
        (:meth:`Report.to_dict`); existing files of those names are replaced.

    Returns
    -------
    Report
        The sections in the order of :data:`SECTIONS`, with their numbers and files.

    Examples
    --------
    >>> import tempfile
    >>> report = run_demo(tempfile.mkdtemp())  # doctest: +SKIP
    >>> print(report.text())  # doctest: +SKIP
    """
    ctx = Context(out_dir)
    sections = [fn(ctx) for fn in SECTIONS]
    report = Report(str(ctx.out), sections)
    (ctx.out / "report.txt").write_text(report.text() + "\n")
    (ctx.out / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return report
