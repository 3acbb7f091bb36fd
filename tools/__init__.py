"""Repository tooling, not part of the installed package: what ``make paper`` runs.

* :mod:`tools.reproduce`: regenerate datasets, notebooks' outputs, quick benchmarks and the
  paper (``python -m tools.reproduce`` from the repository root);
* :mod:`tools.outputs`: :class:`~tools.outputs.Outputs`, through which the notebooks record
  the numbers, tables and figures the paper quotes.
"""
