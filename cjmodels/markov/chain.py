"""A discrete-time Markov chain with named states and its exact derived quantities.

:class:`MarkovChain` is immutable; derived quantities are computed on first use and cached.
Absorbing-chain quantities follow Grinstead & Snell, *Introduction to Probability*, ch. 11
(canonical form, fundamental matrix ``N = (I - Q)^-1``, absorption probabilities ``B = N R``,
expected steps ``t = N 1`` and their variance ``(2N - I) t - t_sq``). Quantities that are not
defined for a chain (a stationary distribution of a chain with several closed classes, the
fundamental matrix of a chain without absorbing states) raise a :class:`ValidationError` that
says why, rather than returning ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from cjmodels._chains import absorbing_solve, fundamental_matrix
from cjmodels._checks import as_generator, check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["MarkovChain"]

_TOL = 1e-9


def _reaching(adjacency: np.ndarray, targets: Any) -> np.ndarray:
    """Which states can reach one of ``targets`` (indices) through edges of ``adjacency``
    (``adjacency[i, j]``: a step from i to j is possible); the targets themselves included."""
    reach = np.zeros(len(adjacency), dtype=bool)
    reach[np.asarray(targets, dtype=int)] = True
    while True:
        new = reach | (adjacency & reach[None, :]).any(axis=1)
        if (new == reach).all():
            return reach
        reach = new


@result_dataclass
class MarkovChain(Result):
    """A finite Markov chain with named states.

    A chain defined by its matrix is a result like any other (frozen; ``summary()`` is the
    transition matrix, ``to_dict()``, ``plot()``); its derived quantities are properties and
    methods, computed on first use and cached.

    ``plot(ax=None, kind="heatmap", **options)`` draws the heatmap of the matrix (options
    ``annotate=True``, ``cmap="Blues"``); ``kind="diagram"`` the state diagram: states by stage
    order, arrows as wide as probable (options ``order`` (left-to-right order of the non-end
    states), ``min_probability=0.02`` (smaller moves are not drawn), ``label_min=0.05``,
    ``max_width=7.0``, ``node_color``). :class:`FittedChain` and :class:`LifecycleChain` plot
    the same way.

    Parameters
    ----------
    states : sequence of str
        State names, in matrix order.
    matrix : array-like
        Row-stochastic transition matrix (rows: from, columns: to).
    start : str, optional
        The state journeys start in (quantities "from the start" use it, and
        :meth:`simulate` starts there when it is not told otherwise).

    Attributes
    ----------
    states : tuple of str
        State names (each converted with ``str``), in matrix order.
    matrix : numpy.ndarray
        The transition matrix, read-only; ``matrix[i, j]`` is the probability of a step from
        ``states[i]`` to ``states[j]`` (entries above ``-1e-9`` that are negative by rounding
        are set to 0).
    start : str or None
        The start state, or None when none was given.

    Raises
    ------
    ValidationError
        When the names repeat, the matrix is not square of the number of states, has an
        entry that is not finite or is negative, has a row that does not sum to 1 (within
        ``1e-8``), or ``start`` is not one of the states.

    See Also
    --------
    cjmodels.markov.fit_chain : A chain fitted to journeys, with intervals.

    Examples
    --------
    Grinstead & Snell's drunkard's walk (ch. 11, example 11.13): corners 0 and 4 absorb.

    >>> P = np.zeros((5, 5)); P[0, 0] = P[4, 4] = 1
    >>> for i in (1, 2, 3): P[i, i - 1] = P[i, i + 1] = 0.5
    >>> walk = MarkovChain(["0", "1", "2", "3", "4"], P)
    >>> walk.fundamental_matrix.to_numpy().round(12).tolist()
    [[1.5, 1.0, 0.5], [1.0, 2.0, 1.0], [0.5, 1.0, 1.5]]
    >>> walk.absorption_probabilities.loc["1"].round(12).tolist()
    [0.75, 0.25]
    >>> walk.expected_steps.round(12).tolist()
    [3.0, 4.0, 3.0]
    >>> walk
    MarkovChain(states=5, absorbing=2)
    """

    states: tuple[str, ...]
    matrix: np.ndarray
    start: str | None = None

    def __post_init__(self) -> None:
        states = tuple(str(s) for s in self.states)
        if len(set(states)) != len(states):
            dupes = sorted({s for s in states if states.count(s) > 1})
            raise ValidationError(f"state names must be unique; {dupes} are repeated.")
        m = np.array(self.matrix, dtype=float)
        k = len(states)
        if m.shape != (k, k):
            raise ValidationError(
                f"matrix has shape {m.shape}, must be ({k}, {k}) for {k} states."
            )
        if not np.all(np.isfinite(m)) or np.any(m < -_TOL):
            raise ValidationError("matrix entries must be finite and >= 0.")
        rs = m.sum(axis=1)
        bad = np.flatnonzero(np.abs(rs - 1) > 1e-8)
        if len(bad):
            raise ValidationError(
                f"rows of the transition matrix must sum to 1; rows "
                f"{[states[i] for i in bad[:5]]} sum to {np.round(rs[bad[:5]], 6).tolist()}."
            )
        m = np.clip(m, 0.0, None)
        m.setflags(write=False)
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "matrix", m)
        if self.start is not None and self.start not in states:
            raise ValidationError(f"start == {self.start!r} is not one of the states {states}.")

    # ------------------------------------------------------------------ structure
    def index(self, name: str) -> int:
        """Position of the state called ``name``; a clear error for unknown names.

        Parameters
        ----------
        name : str
            A state name.

        Returns
        -------
        int
            The row (and column) of ``name`` in :attr:`matrix`.

        Raises
        ------
        ValidationError
            When ``name`` is not a state of the chain; the message lists the states.

        Examples
        --------
        >>> MarkovChain(["a", "b"], [[0.9, 0.1], [0.5, 0.5]]).index("b")
        1
        """
        try:
            return self.states.index(name)
        except ValueError:
            raise ValidationError(
                f"state {name!r} is not in the chain; states: {list(self.states)}."
            ) from None

    @property
    def frame(self) -> pd.DataFrame:
        """The transition matrix as a DataFrame."""
        return pd.DataFrame(self.matrix, index=list(self.states), columns=list(self.states))

    @cached_property
    def absorbing_states(self) -> tuple[str, ...]:
        """States with ``P[s, s] == 1``."""
        d = np.diag(self.matrix)
        return tuple(s for s, v in zip(self.states, d, strict=True) if v >= 1 - _TOL)

    @cached_property
    def transient_states(self) -> tuple[str, ...]:
        """States that are not absorbing (in an absorbing chain: the transient ones)."""
        a = set(self.absorbing_states)
        return tuple(s for s in self.states if s not in a)

    def _split(self) -> tuple[np.ndarray, np.ndarray]:
        t = np.array([self.index(s) for s in self.transient_states], dtype=int)
        a = np.array([self.index(s) for s in self.absorbing_states], dtype=int)
        return t, a

    def _require_absorbing(self) -> None:
        if not self.absorbing_states:
            raise ValidationError(
                "the chain has no absorbing state, so absorption quantities are not defined; "
                "use stationary_distribution() or first_passage_times() instead."
            )
        t, a = self._split()
        reach = self._reaches(set(a.tolist()))
        stuck = [self.states[i] for i in t if not reach[i]]
        if stuck:
            raise ValidationError(
                f"states {stuck} can never reach an absorbing state (a closed class without "
                "absorbing states), so the fundamental matrix does not exist."
            )

    def _reaches(self, targets: set[int]) -> np.ndarray:
        """Whether each state can reach ``targets`` with positive probability."""
        adj = self.matrix > 0
        reach = np.zeros(len(self.states), dtype=bool)
        reach[list(targets)] = True
        while True:
            new = reach | (adj & reach[None, :]).any(axis=1)
            if (new == reach).all():
                return reach
            reach = new

    # ------------------------------------------------------------------ absorbing chains
    @cached_property
    def _n(self) -> np.ndarray:
        self._require_absorbing()
        t, _ = self._split()
        return fundamental_matrix(self.matrix[np.ix_(t, t)])

    @property
    def fundamental_matrix(self) -> pd.DataFrame:
        """``N = (I - Q)^-1``: expected visits to each transient state (columns) from each
        transient state (rows), counting the visit at time 0."""
        s = list(self.transient_states)
        return pd.DataFrame(self._n, index=s, columns=s)

    @cached_property
    def _b(self) -> np.ndarray:
        t, a = self._split()
        return self._n @ self.matrix[np.ix_(t, a)]

    @property
    def absorption_probabilities(self) -> pd.DataFrame:
        """``B = N R``: probability of ending in each absorbing state from each transient one."""
        return pd.DataFrame(
            self._b, index=list(self.transient_states), columns=list(self.absorbing_states)
        )

    @property
    def expected_steps(self) -> pd.Series:
        """``t = N 1``: expected number of steps (transitions) before absorption."""
        return pd.Series(self._n.sum(axis=1), index=list(self.transient_states), name="steps")

    @property
    def steps_variance(self) -> pd.Series:
        """Variance of the number of steps before absorption, ``(2N - I) t - t_sq``."""
        n = self._n
        t = n.sum(axis=1)
        v = (2 * n - np.eye(len(t))) @ t - t**2
        return pd.Series(v, index=list(self.transient_states), name="steps_variance")

    def expected_steps_given(self, target: str) -> pd.Series:
        """Expected steps before absorption, given absorption in ``target``.

        ``E[T | end in target] = (N h)_i / h_i`` with ``h`` the absorption probabilities into
        ``target`` (each visit to ``k`` is followed by absorption in ``target`` with
        probability ``h_k``). NaN where ``h_i == 0``.

        Parameters
        ----------
        target : str
            An absorbing state.

        Returns
        -------
        pandas.Series
            Expected number of steps (transitions) to absorption from each transient state,
            given that the walk ends in ``target``; named ``steps_given_<target>``, NaN for
            states that never end there.

        Raises
        ------
        ValidationError
            When ``target`` is not an absorbing state, or the chain has no absorbing state or
            a closed class without one (the fundamental matrix does not exist).

        Examples
        --------
        The drunkard's walk of the class example: from state 1, walks that end in 4 take five
        steps on average (for the symmetric walk on 0..4, ``(16 - i^2) / 3`` from ``i``).

        >>> P = np.zeros((5, 5)); P[0, 0] = P[4, 4] = 1
        >>> for i in (1, 2, 3): P[i, i - 1] = P[i, i + 1] = 0.5
        >>> walk = MarkovChain(["0", "1", "2", "3", "4"], P)
        >>> walk.expected_steps_given("4").round(4).tolist()
        [5.0, 4.0, 2.3333]
        """
        j = self.absorbing_states.index(self._absorbing_name(target))
        h = self._b[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            v = (self._n @ h) / h
        v[h <= 0] = np.nan
        return pd.Series(v, index=list(self.transient_states), name=f"steps_given_{target}")

    def _absorbing_name(self, target: str) -> str:
        if target not in self.absorbing_states:
            raise ValidationError(
                f"{target!r} is not an absorbing state; absorbing states: "
                f"{list(self.absorbing_states)}."
            )
        return target

    def hitting_probabilities(self, targets: str | Sequence[str]) -> pd.Series:
        """Probability of ever entering ``targets`` (1 for the targets themselves).

        Solves ``h = P h`` on the states that can reach the targets (with ``h = 1`` on the
        targets); states that cannot reach them have 0. The chain need not be absorbing.

        Parameters
        ----------
        targets : str or sequence of str
            One state or a set of states; entering any of them counts.

        Returns
        -------
        pandas.Series
            Per state, the probability of entering ``targets`` at some step >= 0; named
            ``hitting_probability``.

        Raises
        ------
        ValidationError
            When a target is not a state of the chain.

        Examples
        --------
        >>> P = np.zeros((5, 5)); P[0, 0] = P[4, 4] = 1
        >>> for i in (1, 2, 3): P[i, i - 1] = P[i, i + 1] = 0.5
        >>> MarkovChain(["0", "1", "2", "3", "4"], P).hitting_probabilities("4").tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
        """
        tg = [targets] if isinstance(targets, str) else list(targets)
        idx = np.array([self.index(s) for s in tg], dtype=int)
        k = len(self.states)
        inside = np.zeros(k, dtype=bool)
        inside[idx] = True
        can = self._reaches(set(idx.tolist())) & ~inside
        h = np.zeros(k)
        h[inside] = 1.0
        c = np.flatnonzero(can)
        if len(c):
            rhs = self.matrix[np.ix_(c, idx)].sum(axis=1)
            h[c] = absorbing_solve(self.matrix[np.ix_(c, c)], rhs)
        return pd.Series(h, index=list(self.states), name="hitting_probability")

    # ------------------------------------------------------------------ recurrent chains
    def communicating_classes(self) -> list[tuple[tuple[str, ...], bool]]:
        """Communicating classes and whether each is closed (recurrent).

        A class is a set of states that can all reach one another (the strongly connected
        components of the graph of positive entries); it is closed when no step leaves it. In
        a finite chain the closed classes are the recurrent ones, and an absorbing state is a
        closed class of its own.

        Returns
        -------
        list of (tuple of str, bool)
            One pair per class: its states (in matrix order) and whether it is closed.

        Examples
        --------
        >>> P = np.zeros((5, 5)); P[0, 0] = P[4, 4] = 1
        >>> for i in (1, 2, 3): P[i, i - 1] = P[i, i + 1] = 0.5
        >>> MarkovChain(["0", "1", "2", "3", "4"], P).communicating_classes()
        [(('0',), True), (('4',), True), (('1', '2', '3'), False)]
        """
        adj = self.matrix > 0
        n, lab = connected_components(adj, directed=True, connection="strong")
        out = []
        for c in range(n):
            members = np.flatnonzero(lab == c)
            leaves = adj[members][:, lab != c].any()
            out.append((tuple(self.states[i] for i in members), not leaves))
        return out

    @cached_property
    def _pi(self) -> np.ndarray:
        closed = [c for c, is_closed in self.communicating_classes() if is_closed]
        if len(closed) != 1:
            raise ValidationError(
                f"the chain has {len(closed)} closed classes ({[list(c) for c in closed]}), so "
                "its stationary distribution is not unique. An absorbing journey chain has one "
                "per end state: close the loop first (see lifecycle_chain) or use the absorbing "
                "quantities."
            )
        # transient states have probability exactly 0: solve on the closed class alone (its
        # rows are stochastic there), so no rounding residue turns 1/pi into a huge number
        idx = np.array([self.index(s) for s in closed[0]], dtype=int)
        sub = self.matrix[np.ix_(idx, idx)]
        k = len(idx)
        a = np.vstack([(sub - np.eye(k)).T, np.ones(k)])
        b = np.zeros(k + 1)
        b[-1] = 1.0
        sol, *_ = np.linalg.lstsq(a, b, rcond=None)
        sol = np.clip(sol, 0.0, None)
        pi = np.zeros(len(self.states))
        pi[idx] = sol / sol.sum()
        return pi

    def stationary_distribution(self) -> pd.Series:
        """The unique stationary distribution ``pi = pi P`` (one closed class required).

        It is solved on the closed class alone, so transient states get exactly 0. For a
        periodic chain it is still the unique solution of ``pi = pi P`` (the long-run share of
        time in each state), though ``P^n`` does not converge to it.

        Returns
        -------
        pandas.Series
            The probability of each state, summing to 1; named ``stationary``.

        Raises
        ------
        ValidationError
            When the chain has more than one closed class (an absorbing journey chain has one
            per end state), so that the stationary distribution is not unique; close the loop
            first (:func:`cjmodels.markov.lifecycle_chain` with ``restart=True``).

        Examples
        --------
        >>> MarkovChain(["a", "b"], [[0.9, 0.1], [0.5, 0.5]]).stationary_distribution().round(4)
        a    0.8333
        b    0.1667
        Name: stationary, dtype: float64
        """
        return pd.Series(self._pi, index=list(self.states), name="stationary")

    def mean_recurrence_times(self) -> pd.Series:
        """Expected steps to return to each state, ``1 / pi`` (inf for transient states).

        Returns
        -------
        pandas.Series
            Mean recurrence time of each state in steps (Kac's formula ``1 / pi_i``); named
            ``mean_recurrence_time``.

        Raises
        ------
        ValidationError
            As :meth:`stationary_distribution`: the chain needs exactly one closed class.

        Examples
        --------
        >>> MarkovChain(["a", "b"], [[0.9, 0.1], [0.5, 0.5]]).mean_recurrence_times().tolist()
        [1.2, 6.0]
        """
        with np.errstate(divide="ignore"):
            r = 1.0 / self._pi
        return pd.Series(r, index=list(self.states), name="mean_recurrence_time")

    def first_passage_times(self, target: str | Sequence[str]) -> pd.Series:
        """Expected steps to first enter ``target`` (0 inside it; inf where it may never be
        reached).

        From a state that reaches ``target`` with probability 1, the expected number of steps
        ``m`` solves ``m = 1 + P m`` off the target. Where the target may never be reached
        (hitting probability below 1), the expectation is infinite; the conditional time given
        that it is reached is :meth:`expected_steps_given` (for absorbing targets) or
        :meth:`cjmodels.markov.LifecycleChain.passage`.

        Parameters
        ----------
        target : str or sequence of str
            One state or a set of states; entering any of them counts.

        Returns
        -------
        pandas.Series
            Expected steps to the first entry into ``target`` from each state; named
            ``first_passage_time``.

        Raises
        ------
        ValidationError
            When a target is not a state of the chain.

        Examples
        --------
        >>> MarkovChain(["a", "b"], [[0.9, 0.1], [0.5, 0.5]]).first_passage_times("b")
        a    10.0
        b     0.0
        Name: first_passage_time, dtype: float64
        """
        tg = [target] if isinstance(target, str) else list(target)
        idx = np.array([self.index(s) for s in tg], dtype=int)
        h = self.hitting_probabilities(tg).to_numpy()
        k = len(self.states)
        out = np.full(k, np.inf)
        out[idx] = 0.0
        sure = np.flatnonzero((h >= 1 - 1e-10) & ~np.isin(np.arange(k), idx))
        if len(sure):
            out[sure] = absorbing_solve(self.matrix[np.ix_(sure, sure)], np.ones(len(sure)))
        return pd.Series(out, index=list(self.states), name="first_passage_time")

    # ------------------------------------------------------------------ simulation
    def simulate(
        self,
        n: int,
        *,
        start: str | None = None,
        max_steps: int = 1000,
        random_state: int | np.random.Generator | None = None,
    ) -> pd.DataFrame:
        """Simulate ``n`` walks from ``start`` until absorption (or ``max_steps`` steps).

        All walks advance together, one vectorised draw per step.

        Parameters
        ----------
        n : int
            Number of walks, at least 1.
        start : str, optional
            State every walk starts in; default the chain's :attr:`start`.
        max_steps : int, default 1000
            Walks still not absorbed after this many steps stop there.
        random_state : int, numpy.random.Generator or None
            Seed or generator of the draws (None: fresh entropy).

        Returns
        -------
        pandas.DataFrame
            Long frame, one row per walk and step, sorted by walk then step: ``walk`` (0 to
            ``n - 1``), ``step`` (0 = the start state) and ``state``. A walk's last row is the
            absorbing state it entered (or its state at ``max_steps``).

        Raises
        ------
        ValidationError
            When neither ``start`` nor the chain's start state is given, or ``n`` or
            ``max_steps`` is not an integer >= 1.

        Examples
        --------
        >>> chain = MarkovChain(["s", "a", "end"], [[0, 1, 0], [0, 0.5, 0.5], [0, 0, 1]],
        ...                     start="s")
        >>> sim = chain.simulate(3, random_state=1)
        >>> sim.groupby("walk")["state"].last().tolist()
        ['end', 'end', 'end']
        """
        check_scalar(n, "n", typ=int, ge=1)
        check_scalar(max_steps, "max_steps", typ=int, ge=1)
        s0 = start if start is not None else self.start
        if s0 is None:
            raise ValidationError("pass start= (the chain has no start state).")
        rng = as_generator(random_state)
        cum = np.cumsum(self.matrix, axis=1)
        cum[:, -1] = 1.0
        absorbing = np.diag(self.matrix) >= 1 - _TOL
        cur = np.full(n, self.index(s0))
        walks, steps, states = [np.arange(n)], [np.zeros(n, dtype=int)], [cur.copy()]
        alive = np.flatnonzero(~absorbing[cur])
        for step in range(1, max_steps + 1):
            if len(alive) == 0:
                break
            u = rng.random(len(alive))
            nxt = (u[:, None] > cum[cur[alive]]).sum(axis=1)
            cur[alive] = nxt
            walks.append(alive)
            steps.append(np.full(len(alive), step))
            states.append(nxt)
            alive = alive[~absorbing[nxt]]
        w, st, s = (np.concatenate(x) for x in (walks, steps, states))
        order = np.lexsort((st, w))
        return pd.DataFrame({
            "walk": w[order],
            "step": st[order],
            "state": np.array(self.states, dtype=object)[s[order]],
        })

    # ------------------------------------------------------------------ output
    def _summary(self) -> pd.DataFrame:
        """The transition matrix (rows: from, columns: to)."""
        return self.frame

    def _repr_fields(self) -> dict[str, Any]:
        return {"states": len(self.states), "absorbing": len(self.absorbing_states),
                "start": self.start}

    def _to_dict(self) -> dict[str, Any]:
        return {
            "states": list(self.states),
            "start": self.start,
            "absorbing": list(self.absorbing_states),
            "matrix": self.matrix,
        }

    def _plot(self, ax: Any, *, kind: str = "heatmap", **kwargs: Any) -> None:
        """Heatmap of the transition matrix, or with ``kind="diagram"`` the state diagram
        (see :mod:`cjmodels.markov.plots`)."""
        from cjmodels.markov.plots import _plot_diagram, _plot_heatmap

        check_scalar(kind, "kind", in_=("heatmap", "diagram"))
        if kind == "diagram":
            _plot_diagram(self, ax=ax, **kwargs)
        else:
            _plot_heatmap(self.frame, ax=ax, **kwargs)
