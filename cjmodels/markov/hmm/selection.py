"""Choosing the number of latent stages: information criteria on training customers and the
log-likelihood of held-out customers (:func:`select_n_states`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import as_generator, check_scalar
from cjmodels._threads import one_blas_thread as _one_blas_thread
from cjmodels.data import JourneySpec
from cjmodels.errors import ValidationError
from cjmodels.markov.hmm.core import Layout, forward_backward
from cjmodels.markov.hmm.model import HiddenMarkovModel, HMMConvergenceWarning
from cjmodels.markov.hmm.results import StateSelection
from cjmodels.markov.hmm.sequences import _prepare, _subset

__all__ = ["select_n_states"]


def select_n_states(
    data: Any,
    n_states: Iterable[int] = (1, 2, 3, 4),
    lengths: Any = None,
    *,
    test_size: float = 0.25,
    spec: JourneySpec | None = None,
    customers: Any = None,
    outcome: Any = None,
    covariates: Any = None,
    random_state: int | np.random.Generator | None = None,
    **model_options: Any,
) -> StateSelection:
    """Compare numbers of stages by AIC/BIC on training customers and by held-out log-likelihood.

    A random ``test_size`` share of customers (all their sequences) is held out; for each
    number of stages a :class:`HiddenMarkovModel` is fitted to the other customers, which
    gives its AIC and BIC, and the held-out sequences are scored under it. Held-out sequences
    with a symbol never seen in training score ``-inf`` rather than failing. Convergence
    warnings of the fits are silenced; see ``converged`` in the table.

    Parameters
    ----------
    data : event log, JourneySet, list of sequences, or flat array
        The sequences, in any form :meth:`HiddenMarkovModel.fit` accepts.
    n_states : iterable of int
        The numbers of stages to compare (each ``>= 1``).
    lengths : array of int, optional
        Sequence lengths when ``data`` is one flat array.
    test_size : float
        Share of customers held out, in ``(0, 1)``; at least one customer is held out and at
        least one kept.
    spec : JourneySpec, optional
        How to cut an event log into journeys (default ``JourneySpec(sequence="channel")``);
        leave None for other inputs.
    customers : array, optional
        Customer of each sequence, the unit of the split (default: each sequence its own
        customer); an event log brings its own.
    outcome : array, optional
        Outcome of each sequence for ``end_states=True`` with list input.
    covariates : str, list of str, array or DataFrame, optional
        Covariates of the transitions, as in :meth:`HiddenMarkovModel.fit`.
    random_state : int, Generator or None
        Seed of the split and of each model's restarts.
    **model_options
        Hyperparameters of :class:`HiddenMarkovModel` other than ``n_states`` and
        ``random_state`` (``end_states``, ``n_init``, ``max_iter``, ...).

    Returns
    -------
    StateSelection
        The comparison table and the numbers of stages chosen by BIC, AIC and held-out
        log-likelihood.

    Raises
    ------
    ValidationError
        When ``n_states`` is empty or holds a number below 1, ``test_size`` is not in
        ``(0, 1)``, or there are fewer than two customers.

    Examples
    --------
    >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "c"], ["c", "c", "a"]] * 10
    >>> sel = select_n_states(seqs, n_states=(1, 2), random_state=0, n_init=2)
    >>> sel.table.index.tolist()
    [1, 2]
    >>> sel.best_bic, sel.n_train_customers, sel.n_test_customers
    (2, 30, 10)
    """
    check_scalar(test_size, "test_size", typ=float, gt=0, lt=1)
    ks = [int(check_scalar(k, "n_states", typ=int, ge=1)) for k in n_states]
    if not ks:
        raise ValidationError("n_states must list at least one number of stages.")
    end_states = bool(model_options.get("end_states", False))
    s = _prepare(data, lengths=lengths, spec=spec, customers=customers, outcome=outcome,
                 end_states=end_states, covariates=covariates)
    rng = as_generator(random_state)
    n_cust = int(s.customers.max()) + 1
    if n_cust < 2:
        raise ValidationError("a held-out split needs at least two customers.")
    test_c = np.zeros(n_cust, dtype=bool)
    n_test = min(max(1, round(test_size * n_cust)), n_cust - 1)
    test_c[rng.choice(n_cust, n_test, replace=False)] = True
    is_test = test_c[s.customers]
    rows = []
    seeds = rng.spawn(len(ks))
    for k, seed in zip(ks, seeds, strict=True):
        model = HiddenMarkovModel(k, random_state=seed, **model_options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HMMConvergenceWarning)
            with _one_blas_thread():
                model._fit_seqs(_subset(s, ~is_test))
        test = _subset(s, is_test)
        # same codes as in training; a symbol unseen in training has emission probability 0
        layout = Layout(test.offsets, test.weight)
        with _one_blas_thread():
            _, _, log_c, _ = forward_backward(layout, test.obs[layout.tm_pos],
                                              model._rec(test, layout), need_beta=False)
        held = float((layout.per_sequence(log_c) * test.weight).sum())
        r = model.result_
        rows.append({"n_states": k, "log_likelihood": r.log_likelihood, "n_params": r.n_params,
                     "aic": r.aic, "bic": r.bic, "converged": r.converged,
                     "heldout_log_likelihood": held,
                     "heldout_per_symbol": held / float((np.diff(test.offsets)
                                                        * test.weight).sum())})
    table = pd.DataFrame(rows).set_index("n_states")
    return StateSelection(
        table=table,
        best_bic=int(table["bic"].idxmin()),
        best_aic=int(table["aic"].idxmin()),
        best_heldout=int(table["heldout_log_likelihood"].idxmax()),
        test_size=float(test_size),
        n_train_customers=int(n_cust - n_test),
        n_test_customers=int(n_test),
    )
