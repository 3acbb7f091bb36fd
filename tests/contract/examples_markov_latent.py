"""Contract examples for the markov latent results and estimators (see _cases.py): the hidden
Markov model of latent stages and the continuous-time multi-state model."""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import pandas as pd

from cjmodels.markov import (
    FittedMultiState,
    HiddenMarkovModel,
    HMMBootstrap,
    HMMConvergenceWarning,
    HMMFit,
    PanelData,
    StateSelection,
    fit_multistate,
    select_n_states,
)
from tests.contract._cases import EstimatorCase

_SEQS_A = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"], ["c", "a"]] * 6
_SEQS_B = [["a", "c", "c"], ["c", "b"], ["b", "b", "a", "c"]] * 6


@cache
def _hmm() -> HiddenMarkovModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HiddenMarkovModel(2, n_init=1, max_iter=50, random_state=0).fit(_SEQS_A)


@cache
def _hmm_boot() -> HMMFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _hmm().bootstrap(_SEQS_A, n_boot=4, random_state=1)


def _panel() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
        "timestamp": [0, 1, 2.5, 0, 2, 0, 1.5, 0, 1, 0, 3, 0, 0.5],
        "stage": [1, 1, 2, 1, 2, 1, 1, 1, 2, 1, 2, 1, 1],
    })


@cache
def _multistate() -> FittedMultiState:
    return fit_multistate(_panel(), [[0, 1.0], [0, 0]])


RESULTS: dict[type, Any] = {
    HMMFit: lambda: _hmm().result_,
    HMMBootstrap: lambda: _hmm_boot().bootstrap,
    StateSelection: lambda: select_n_states(_SEQS_A, n_states=(1, 2), n_init=1, max_iter=30,
                                            random_state=0),
    FittedMultiState: _multistate,
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {
    HiddenMarkovModel: EstimatorCase(
        make=lambda: HiddenMarkovModel(2, n_init=2, init_iter=5, max_iter=40, random_state=3),
        data_a=lambda: _SEQS_A,
        data_b=lambda: _SEQS_B,
        before_fit=[
            ("score", (_SEQS_A,), {}),
            ("predict", (_SEQS_A,), {}),
            ("predict_proba", (_SEQS_A,), {}),
            ("decode", (_SEQS_A,), {}),
            ("log_likelihood_sequences", (_SEQS_A,), {}),
            ("bootstrap", (_SEQS_A,), {"n_boot": 2}),
        ],
    ),
}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {
    PanelData: "an input object: validated panel observations passed to fit_multistate",
    HMMConvergenceWarning: "a warning",
}
#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {}
#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ()
