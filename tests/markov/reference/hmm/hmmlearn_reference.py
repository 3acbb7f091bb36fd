"""Oracle values for cjmodels.markov.hmm from hmmlearn's CategoricalHMM.

Run in a scratch environment (hmmlearn is never a dependency of cjmodels):

    python -m venv /tmp/hmmvenv && /tmp/hmmvenv/bin/pip install hmmlearn==0.3.3
    /tmp/hmmvenv/bin/python tests/markov/reference/hmm/hmmlearn_reference.py

It writes ``hmmlearn_values.json`` next to this script: the data (flat symbols and lengths), the
start values, and for each case hmmlearn's log-likelihood after 0, 1, ..., N Baum-Welch updates
(``model.score`` before each single-iteration ``fit`` with ``init_params=""``), the fitted
parameters after N updates, the Viterbi path and its log-probability (``model.decode``), and the
posterior state probabilities (``model.predict_proba``) under the fitted parameters.

Case "free": 3 states, 5 symbols, every cell free. Case "left_to_right": the same data, a start
in state 0 only and an upper-triangular transition matrix (structural zeros, which Baum-Welch
keeps).
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import hmmlearn
import numpy as np
from hmmlearn.hmm import CategoricalHMM

N_ITER = 30
rng = np.random.default_rng(20261122)
K, M = 3, 5
true_pi = np.array([0.7, 0.2, 0.1])
true_a = np.array([[0.7, 0.25, 0.05], [0.1, 0.7, 0.2], [0.05, 0.15, 0.8]])
true_b = np.array([
    [0.5, 0.3, 0.1, 0.05, 0.05],
    [0.1, 0.2, 0.4, 0.2, 0.1],
    [0.05, 0.05, 0.1, 0.3, 0.5],
])
lengths = rng.integers(1, 16, size=200)
obs = []
for n in lengths:
    s = rng.choice(K, p=true_pi)
    for _ in range(n):
        obs.append(int(rng.choice(M, p=true_b[s])))
        s = rng.choice(K, p=true_a[s])
obs = np.array(obs)

cases = {
    "free": {
        "startprob": np.array([0.5, 0.3, 0.2]),
        "transmat": np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]]),
        "emissionprob": np.array([
            [0.3, 0.3, 0.2, 0.1, 0.1],
            [0.2, 0.2, 0.2, 0.2, 0.2],
            [0.1, 0.1, 0.2, 0.3, 0.3],
        ]),
    },
    "left_to_right": {
        "startprob": np.array([1.0, 0.0, 0.0]),
        "transmat": np.array([[0.6, 0.3, 0.1], [0.0, 0.6, 0.4], [0.0, 0.0, 1.0]]),
        "emissionprob": np.array([
            [0.3, 0.3, 0.2, 0.1, 0.1],
            [0.2, 0.2, 0.2, 0.2, 0.2],
            [0.1, 0.1, 0.2, 0.3, 0.3],
        ]),
    },
}

X = obs.reshape(-1, 1)
out: dict = {
    "hmmlearn_version": hmmlearn.__version__,
    "numpy_version": np.__version__,
    "python": platform.python_version(),
    "n_iter": N_ITER,
    "obs": obs.tolist(),
    "lengths": lengths.tolist(),
    "cases": {},
}
for name, start in cases.items():
    model = CategoricalHMM(n_components=K, n_features=M, n_iter=1, init_params="", params="ste",
                           implementation="log", tol=-np.inf)
    model.startprob_ = start["startprob"].copy()
    model.transmat_ = start["transmat"].copy()
    model.emissionprob_ = start["emissionprob"].copy()
    history = []
    for _ in range(N_ITER):
        history.append(float(model.score(X, lengths)))
        model.fit(X, lengths)
    history.append(float(model.score(X, lengths)))
    vit_lp, vit_path = model.decode(X, lengths, algorithm="viterbi")
    post = model.predict_proba(X, lengths)
    out["cases"][name] = {
        "start": {k: v.tolist() for k, v in start.items()},
        "history": history,
        "startprob": model.startprob_.tolist(),
        "transmat": model.transmat_.tolist(),
        "emissionprob": model.emissionprob_.tolist(),
        "viterbi_logprob": float(vit_lp),
        "viterbi_path": vit_path.tolist(),
        "posteriors": post.tolist(),
    }

path = Path(__file__).with_name("hmmlearn_values.json")
path.write_text(json.dumps(out) + "\n")
