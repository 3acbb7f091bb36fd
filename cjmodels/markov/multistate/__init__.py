"""Continuous-time Markov multi-state models for stages seen only at irregular times (msm parity).

A CRM snapshot says a customer was "considering" on 3 March and "loyal" on 20 April; nobody saw
the moves in between. :func:`fit_multistate` fits a time-homogeneous continuous-time Markov chain
with transition intensity matrix ``Q`` to such panel data by maximum likelihood, as R's msm does
(Jackson 2011, J. Stat. Softw. 38(8); Kalbfleisch & Lawless 1985, JASA 80(392)).

Conventions
-----------
* ``qmatrix`` declares the model as in msm: a square matrix whose nonzero off-diagonal entries
  are the allowed transitions and their initial intensities (the diagonal is ignored). States
  are labelled ``1..K`` for an array (msm's numbering), or by a DataFrame's index.
* Parameters are the log intensities of the allowed transitions, reading across the rows of
  ``qmatrix``, followed by the log hazard ratios of the covariate effects (by covariate, then by
  transition): msm's order.
* Covariates act log-linearly on the intensities, ``q_rs(z) = q_rs exp(beta_rs' (z - zbar))``.
  They are centred by default (``center=True``, as msm) at their mean over the intervals used
  (every observation but each customer's last), so the baseline intensities are those of an
  average customer; ``covariates={"sex": 0}`` in the extractors evaluates at a given value.
  The interval from one observation to the next uses the covariates of the first.
* Observation types (msm's ``obstype``): a snapshot (panel, the default); ``deathexact`` entry
  into an absorbing state observed at the exact time, the state just before unknown;
  ``exacttimes`` every observation an exact transition time; censored states (``censor``,
  ``censor_states``) observed only as "one of these".
* Standard errors come from the inverse of the observed information, the numerical Jacobian of
  the analytic gradient at the optimum. Intervals on intensities, hazard ratios, sojourn times,
  lengths of stay and first-passage times are delta-method intervals on the log scale; on
  probabilities (``P(t)``, next-state probabilities) on the logit scale. msm's
  ``pmatrix.msm(ci="normal")`` and ``pnext.msm`` simulate from the asymptotic normal
  distribution instead; both approximate the same thing.
* Speed and memory: one eigen-decomposition of ``Q`` per distinct covariate pattern and one
  evaluation per distinct (pattern, interval length); the cav model fits in about 0.15 s.
  Memory grows with the number of distinct covariate patterns times parameters times ``K^2``:
  continuous covariates make almost every interval its own pattern, so on large logs round or
  bin them.
* A Hessian that is not positive definite, nearly singular, or a parameter whose interval spans
  more than a factor 10^4 is reported in :attr:`FittedMultiState.problems` and warned about;
  such a fit is never reported as a clean success.
* Columns: ``customer``, ``timestamp`` (numeric: years, days since entry, ...) and ``stage``
  (the observed state), with the package's defaults ``"customer_id"``, ``"timestamp"`` and
  ``"stage"``; an :class:`~cjmodels.data.EventLog` brings its own.

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 3, 3, 3],
...                    "t": [0, 1, 2.5, 0, 2, 0, 1.2, 3],
...                    "s": [1, 1, 2, 1, 2, 1, 2, 2]})
>>> fit = fit_multistate(df, [[0, 0.5], [0, 0]], customer="id", timestamp="t", stage="s")
>>> round(float(fit.qmatrix().iloc[0, 1]), 4)
1.1228
"""

from cjmodels.markov.multistate.fit import crude_qmatrix, fit_multistate, lrtest
from cjmodels.markov.multistate.panel import OBSTYPES, PanelData, panel_data, parse_qmatrix
from cjmodels.markov.multistate.results import WIDE_SE, FittedMultiState

__all__ = [
    "OBSTYPES",
    "FittedMultiState",
    "PanelData",
    "WIDE_SE",
    "crude_qmatrix",
    "fit_multistate",
    "lrtest",
    "panel_data",
    "parse_qmatrix",
]
