"""Contract examples for the attribution results and estimators (see _cases.py)."""

from __future__ import annotations

from typing import Any

from tests.contract._cases import EstimatorCase

#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {}
#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {}
#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ()
