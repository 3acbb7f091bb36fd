"""The compiled journey model: the arrays of a :class:`~cjmodels.synthetic.JourneyParams`.

:class:`CompiledModel` lifts the baseline transition rows by each channel, segment, region and
returning customer (:func:`lift_rows`) and solves the absorbing chain for the exact quantities
(conversion probabilities, expected visits, abandonment) that the parameters report and the
simulator's ground truth records. It reads a parameter object's attributes only, so it imports
none of the modules above it.

Examples
--------
>>> import numpy as np
>>> base = np.array([[0.5, 0.3, 0.2]])  # stay, progress, drop out
>>> fwd = np.array([[False, True, False]])
>>> lift_rows(base, fwd, np.array([1.0])).round(3).tolist()  # lift 1: the baseline row
[[0.5, 0.3, 0.2]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cjmodels.errors import ValidationError

__all__ = ["CHURN", "NO_TOUCH", "CompiledModel", "lift_rows"]

#: Name of the baseline step without a touch (used by removed channels).
NO_TOUCH = "(no touch)"
#: Name of the state a customer enters when leaving after a purchase.
CHURN = "churn"


class CompiledModel:
    """Arrays of a :class:`JourneyParams`: lifted matrices per (returning, group, channel)."""

    def __init__(self, p: Any) -> None:  # a JourneyParams
        self.p = p
        pre, post, purchase = p.pre_stages, p.post_stages, p.scheme.purchase
        self.k, self.mpost = len(pre), len(post)
        self.rows = (*pre, purchase, *post)  # from-states
        self.states = p.states
        k, n_from, n_all = self.k, len(self.rows), len(self.states)
        self.purchase, self.drop, self.churn = k, n_all - 2, n_all - 1
        idx = {s: i for i, s in enumerate(self.states)}
        self.channels = p.channels
        C = len(p.channels)
        self.C = C
        base = np.zeros((n_from, n_all))
        for i, s in enumerate(self.rows):
            for t, v in p.transitions[s].items():
                base[i, idx[t]] = v
        # progress targets: later pre stages / purchase before a purchase; later post stages or
        # any pre stage (re-entry) after it
        fwd = np.zeros((n_from, n_all), dtype=bool)
        for i in range(n_from):
            if i < k:
                fwd[i, i + 1 : k + 1] = True
            else:
                fwd[i, :k] = True
                fwd[i, i + 1 : k + 1 + self.mpost] = True
        self.base, self.fwd = base, fwd
        mix = np.zeros((n_from, C))
        for i, s in enumerate(self.rows):
            if s in p.channel_mix:
                for c, v in p.channel_mix[s].items():
                    mix[i, p.channels.index(c)] = v
        self.mix = mix
        self.cum_mix = np.cumsum(mix, axis=1)
        self.cum_mix[:, -1] = 1.0
        self.entry = np.array([p.entry.get(s, 0.0) for s in pre])
        self.segments, self.regions = list(p.segments), list(p.regions)
        seg_w = np.array(list(p.segments.values()))
        reg_w = np.array(list(p.regions.values()))
        self.weights = np.outer(seg_w, reg_w).ravel()
        glift = np.outer(
            [p.segment_lift[s] for s in self.segments], [p.region_lift[r] for r in self.regions]
        ).ravel()
        G = len(glift)
        chan_lift = np.array([*(p.lift[c] for c in p.channels), 1.0])
        mult = np.ones((2, G, C + 1, n_from))
        mult *= glift[None, :, None, None] * chan_lift[None, None, :, None]
        mult[1, :, :, :k] *= p.returning_lift
        mult[:, :, :, k] = glift[None, :, None]  # the purchase step has no touch
        self.P = lift_rows(base, fwd, mult)
        cum = np.cumsum(self.P, axis=-1)
        cum[..., -1] = 1.0
        self.cumP_t = np.ascontiguousarray(cum.reshape(-1, n_all).T)
        self.cum_mix_t = np.ascontiguousarray(self.cum_mix.T)
        self.dwell = np.array([p.dwell_mean[s] for s in self.rows])

    # -- lookups
    def channel_index(self, channel: str) -> int:
        if channel == NO_TOUCH:
            return self.C
        if channel not in self.channels:
            raise ValidationError(
                f"channel {channel!r} is unknown; known channels: {list(self.channels)} "
                f"or {NO_TOUCH!r}."
            )
        return self.channels.index(channel)

    def removed_mask(self, removed: str | Sequence[str] | None) -> np.ndarray:
        mask = np.zeros(self.C, dtype=bool)
        if removed is None:
            return mask
        names = [removed] if isinstance(removed, str) else list(removed)
        for c in names:
            if c not in self.channels:
                raise ValidationError(
                    f"cannot remove channel {c!r}: not one of {list(self.channels)}."
                )
            mask[self.channels.index(c)] = True
        return mask

    def group_index(self, segment: str | None, region: str | None) -> int:
        seg = self.segments[0] if segment is None else segment
        reg = self.regions[0] if region is None else region
        if seg not in self.segments:
            raise ValidationError(f"segment == {seg!r}, must be one of {self.segments}.")
        if reg not in self.regions:
            raise ValidationError(f"region == {reg!r}, must be one of {self.regions}.")
        return self.segments.index(seg) * len(self.regions) + self.regions.index(reg)

    # -- exact quantities
    def marginal(self, removed: np.ndarray) -> np.ndarray:
        """Channel-averaged rows, shape (2, G, n_from, n_all); removed mass goes to baseline."""
        mix = self.mix * ~removed
        base_w = 1.0 - mix.sum(axis=1)
        out = np.einsum("sc,rgcst->rgst", mix, self.P[:, :, : self.C])
        return out + base_w[None, None, :, None] * self.P[:, :, self.C]

    def _solve(self, Pbar: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        k = self.k
        A = np.eye(k) - Pbar[:, :k, :k]
        return np.linalg.solve(A, rhs)

    def first_conversion(self, removed: np.ndarray, returning: int = 0) -> np.ndarray:
        """Absorption probability in purchase from the entry distribution, per group."""
        return self.entry @ self.absorb_purchase(removed, returning).T

    def absorb_purchase(self, removed: np.ndarray, returning: int = 0) -> np.ndarray:
        """Probability of purchase before drop-out from each pre stage, shape (G, k)."""
        Pbar = self.marginal(removed)[returning]
        return self._solve(Pbar, Pbar[:, : self.k, self.purchase : self.purchase + 1])[..., 0]

    def first_visits(self, removed: np.ndarray) -> np.ndarray:
        """Expected visits to each pre stage from the entry distribution, shape (G, k)."""
        Pbar = self.marginal(removed)[0]
        A = np.eye(self.k) - Pbar[:, : self.k, : self.k]
        rhs = np.broadcast_to(self.entry, (len(self.weights), self.k))[..., None]
        return np.linalg.solve(np.swapaxes(A, 1, 2), rhs)[..., 0]

    def reentry(self, removed: np.ndarray) -> np.ndarray:
        """From a purchase: probability of re-entering each pre stage (vs churn), (G, k)."""
        Pbar = self.marginal(removed)[1]
        k, mp = self.k, self.mpost
        t = slice(k, k + 1 + mp)  # purchase and post stages are transient here
        A = np.eye(1 + mp) - Pbar[:, t, t]
        B = np.linalg.solve(A, Pbar[:, t, :k])
        return B[:, 0, :]

    def returning_conversion(self, removed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conversion of a first repeat journey once re-entered (per group) and group weights."""
        re = self.reentry(removed)
        p_re = re.sum(axis=1)
        dist = re / np.where(p_re > 0, p_re, 1.0)[:, None]
        h = (dist * self.absorb_purchase(removed, 1)).sum(axis=1)
        w = self.weights * self.first_conversion(removed) * p_re
        w = w / w.sum() if w.sum() > 0 else self.weights
        return h, w

    def abandonment(self, removed: np.ndarray) -> float:
        """P(first journey ends without purchase | it reaches the last pre stage)."""
        k = self.k
        h = self.absorb_purchase(removed)
        if k == 1:
            reach = np.ones(len(self.weights))
        else:
            Pbar = self.marginal(removed)[0]
            o = slice(0, k - 1)
            A = np.eye(k - 1) - Pbar[:, o, o]
            x = np.linalg.solve(A, Pbar[:, o, k - 1 : k])[..., 0]  # hit last stage first
            reach = x @ self.entry[: k - 1] + self.entry[k - 1]
        w = self.weights * reach
        return float(np.dot(w, 1.0 - h[:, k - 1]) / w.sum())


def lift_rows(base: np.ndarray, fwd: np.ndarray, mult: np.ndarray) -> np.ndarray:
    """Multiply the odds of the progress entries of each row by ``mult`` (broadcast over rows)."""
    f = (base * fwd).sum(axis=-1)
    fm = mult * f
    inner = (f > 0) & (f < 1) & (mult != 1)  # a lift of exactly 1 leaves the row as it is
    f_new = np.where(inner, fm / np.where(inner, 1.0 - f + fm, 1.0), f)
    scale_f = np.where(inner, f_new / np.where(inner, f, 1.0), 1.0)
    scale_o = np.where(inner, (1.0 - f_new) / np.where(inner, 1.0 - f, 1.0), 1.0)
    return base * np.where(fwd, scale_f[..., None], scale_o[..., None])
