"""``cjmodels abtest`` and ``cjmodels power``: the numbers against scipy / statsmodels / R, the
sample-ratio verdict and its exit status, and one-line errors for the files analysts have."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cjmodels.cli import main
from cjmodels.errors import ValidationError


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys, *argv):
    code, out, err = _run(capsys, *argv, "--format", "json")
    # strict JSON: no NaN or Infinity tokens anywhere
    payload = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    return code, payload


def _g(x):
    return f"{x:.4g}"


@pytest.fixture(scope="module")
def counts_file(tmp_path_factory):
    """Conversions 200/2000 in control, 250/2000 in treatment; revenue and a pre-period
    covariate correlated with it (seeded)."""
    rng = np.random.default_rng(20250315)
    n = 2000
    conv = np.r_[np.arange(n) < 200, np.arange(n) < 250].astype(int)
    pre = rng.gamma(2.0, 5.0, 2 * n)
    value = 0.8 * pre + rng.normal(0, 4, 2 * n) + np.r_[np.zeros(n), np.full(n, 0.6)]
    t = pd.DataFrame({"variant": ["control"] * n + ["treatment"] * n, "converted": conv,
                      "value": value, "pre_value": pre})
    path = tmp_path_factory.mktemp("ab") / "table.csv"
    t.sample(frac=1.0, random_state=1).to_csv(path, index=False)
    return path, t


def test_proportions_match_statsmodels_and_scipy(counts_file, capsys):
    path, _ = counts_file
    code, out = _json(capsys, "abtest", str(path))
    assert code == 0 and out["trustworthy"] is True
    (e,) = out["effects"]
    assert (e["n_control"], e["n_arm"]) == (2000, 2000)
    assert e["control_value"] == pytest.approx(0.10) and e["arm_value"] == pytest.approx(0.125)
    # statsmodels.stats.proportion.proportions_ztest([250, 200], [2000, 2000]) (pooled z),
    # two-sided p = 0.0123509; tolerance 1e-10 relative
    z, p = proportions_ztest([250, 200], [2000, 2000])
    assert e["pvalue"] == pytest.approx(p, rel=1e-10)
    assert e["pvalue_adjusted"] == pytest.approx(p, rel=1e-10)  # a family of one
    # Newcombe's hybrid score interval: statsmodels confint_proportions_2indep(250, 2000, 200,
    # 2000, method="newcomb", compare="diff"); tolerance 1e-10 absolute
    lo, hi = confint_proportions_2indep(250, 2000, 200, 2000, method="newcomb", compare="diff")
    assert e["difference"] == pytest.approx(0.025)
    assert (e["difference_ci_low"], e["difference_ci_high"]) == pytest.approx((lo, hi), abs=1e-10)
    # relative lift: Wald interval of the log risk ratio, statsmodels
    # confint_proportions_2indep(..., method="log", compare="ratio") minus 1; tolerance 1e-10
    lo, hi = confint_proportions_2indep(250, 2000, 200, 2000, method="log", compare="ratio")
    assert e["relative_lift"] == pytest.approx(0.25)
    assert (e["relative_lift_ci_low"], e["relative_lift_ci_high"]) == pytest.approx(
        (lo - 1, hi - 1), abs=1e-10)
    # per-arm rate with the Wilson interval: scipy.stats.binomtest(k, n).proportion_ci(
    # method="wilson"); tolerance 1e-10 absolute
    for arm in out["arms"]:
        k = 200 if arm["arm"] == "control" else 250
        ci = sps.binomtest(k, 2000).proportion_ci(confidence_level=0.95, method="wilson")
        assert arm["n"] == 2000 and arm["statistic"] == "rate"
        assert (arm["ci_low"], arm["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-10)
    # the text report carries the same numbers (rounded to 4 significant digits)
    code, text, _ = _run(capsys, "abtest", str(path))
    assert code == 0 and text.startswith("sample ratio ok")
    for x in (e["difference_ci_low"], e["difference_ci_high"], e["pvalue"],
              out["arms"][0]["ci_low"], out["arms"][1]["ci_high"]):
        assert _g(x) in text
    assert "+25.00%" in text and f"{(lo - 1):+.2%}" in text


def test_means_match_scipy_welch_and_holm(counts_file, capsys):
    path, t = counts_file
    code, out = _json(capsys, "abtest", str(path), "--metrics", "converted", "--metrics", "value")
    assert code == 0
    eff = {e["metric"]: e for e in out["effects"]}
    c = t.loc[t.variant == "control", "value"].to_numpy()
    tr = t.loc[t.variant == "treatment", "value"].to_numpy()
    # scipy.stats.ttest_ind(equal_var=False): Welch's t with Welch-Satterthwaite df; p-value and
    # its confidence_interval(0.95); tolerance 1e-9 relative
    res = sps.ttest_ind(tr, c, equal_var=False)
    ci = res.confidence_interval(0.95)
    v = eff["value"]
    assert v["difference"] == pytest.approx(tr.mean() - c.mean(), rel=1e-12)
    assert v["pvalue"] == pytest.approx(res.pvalue, rel=1e-9)
    assert (v["difference_ci_low"], v["difference_ci_high"]) == pytest.approx(
        (ci.low, ci.high), rel=1e-9)
    # relative lift by the delta method, computed here from the sample moments:
    # se = sqrt(var_t / (n_t m_c^2) + m_t^2 var_c / (n_c m_c^4)); tolerance 1e-9 relative
    mc, mt = c.mean(), tr.mean()
    vc, vt = c.var(ddof=1) / len(c), tr.var(ddof=1) / len(tr)
    se = math.sqrt(vt / mc**2 + mt**2 * vc / mc**4)
    zq = sps.norm.ppf(0.975)
    assert v["relative_lift"] == pytest.approx(mt / mc - 1, rel=1e-12)
    assert (v["relative_lift_ci_low"], v["relative_lift_ci_high"]) == pytest.approx(
        (mt / mc - 1 - zq * se, mt / mc - 1 + zq * se), rel=1e-9)
    # per-arm mean: scipy.stats.t.interval(0.95, n - 1, mean, sem); tolerance 1e-9 relative
    arm = next(a for a in out["arms"] if a["metric"] == "value" and a["arm"] == "control")
    lo, hi = sps.t.interval(0.95, len(c) - 1, loc=c.mean(), scale=sps.sem(c))
    assert arm["statistic"] == "mean" and (arm["ci_low"], arm["ci_high"]) == pytest.approx(
        (lo, hi), rel=1e-9)
    # Holm over the family of two, by hand: the smaller p times 2, the larger p at least that
    p1, p2 = sorted([eff["converted"]["pvalue"], v["pvalue"]])
    adj = sorted([eff["converted"]["pvalue_adjusted"], v["pvalue_adjusted"]])
    assert adj == pytest.approx([min(1, 2 * p1), max(min(1, 2 * p1), p2)], rel=1e-12)
    code, text, _ = _run(capsys, "abtest", str(path), "--metrics", "converted", "--metrics",
                         "value")
    for x in (v["difference"], v["difference_ci_low"], v["pvalue"], v["pvalue_adjusted"]):
        assert _g(x) in text


def test_cuped_variance_reduction_matches_ols(counts_file, capsys):
    import statsmodels.formula.api as smf

    path, t = counts_file
    code, out = _json(capsys, "abtest", str(path), "--metrics", "value",
                      "--covariates", "pre_value")
    assert code == 0
    (e,) = out["effects"]
    # CUPED with the pooled within-arm slope is the treatment coefficient of the ANCOVA
    # regression value ~ treatment + pre_value (statsmodels OLS); tolerance 1e-9 relative
    fit = smf.ols("value ~ C(variant) + pre_value", data=t).fit()
    assert e["difference"] == pytest.approx(fit.params["C(variant)[T.treatment]"], rel=1e-9)
    # 1 - Var(adjusted effect) / Var(raw effect), computed here with numpy: theta is the pooled
    # within-arm slope, the adjusted metric value - theta * pre_value; tolerance 1e-9 relative
    g = {a: d for a, d in t.groupby("variant")}
    sxy = sum(((d.pre_value - d.pre_value.mean()) * (d.value - d.value.mean())).sum()
              for d in g.values())
    sxx = sum(((d.pre_value - d.pre_value.mean()) ** 2).sum() for d in g.values())
    theta = sxy / sxx
    raw = sum(d.value.var(ddof=1) / len(d) for d in g.values())
    adj = sum((d.value - theta * d.pre_value).var(ddof=1) / len(d) for d in g.values())
    assert e["variance_reduction"] == pytest.approx(1 - adj / raw, rel=1e-9)
    assert e["effective_sample_size_factor"] == pytest.approx(raw / adj, rel=1e-9)
    assert e["effective_n"] == pytest.approx(4000 * raw / adj, rel=1e-9)
    assert 0.3 < e["variance_reduction"] < 0.9  # the simulated covariate explains a lot
    code, text, _ = _run(capsys, "abtest", str(path), "--metrics", "value", "--covariates",
                         "pre_value")
    assert f"variance reduced by {e['variance_reduction']:.2%}" in text
    assert f"{e['effective_n']:,.0f}" in text and _g(e["effective_sample_size_factor"]) in text


def test_relative_lift_undefined_with_zero_control_conversions(tmp_path, capsys):
    t = pd.DataFrame({"variant": ["a"] * 500 + ["b"] * 500,
                      "converted": [0] * 500 + [1] * 20 + [0] * 480})
    path = tmp_path / "zero.csv"
    t.to_csv(path, index=False)
    code, out = _json(capsys, "abtest", str(path))
    assert code == 0
    (e,) = out["effects"]
    assert e["relative_lift"] is None and e["difference"] == pytest.approx(0.04)
    assert any("relative lift of 'converted' for arm 'b' is undefined" in n
               and "rate 0" in n for n in out["notes"])
    code, text, _ = _run(capsys, "abtest", str(path))
    assert "relative lift of 'converted' for arm 'b' is undefined" in text


@pytest.fixture(scope="module")
def srm_file(tmp_path_factory):
    # 1,000 versus 1,150 customers in a 50/50 test: chi-square p = 0.0012 -> no SRM at the
    # default 0.001, an SRM at 0.01
    t = pd.DataFrame({"variant": ["control"] * 1000 + ["treatment"] * 1150,
                      "converted": ([1] * 100 + [0] * 900) + ([1] * 130 + [0] * 1020)})
    path = tmp_path_factory.mktemp("srm") / "srm.csv"
    t.to_csv(path, index=False)
    return path


def test_srm_warns_and_exits_0_without_the_flag(srm_file, capsys):
    p = sps.chisquare([1000, 1150]).pvalue
    assert 0.001 < p < 0.01
    code, out = _json(capsys, "abtest", str(srm_file), "--srm-threshold", "0.01")
    assert code == 0
    assert out["trustworthy"] is False and out["srm_mismatch"] is True
    assert "NOT TRUSTWORTHY" in out["verdict"] and out["srm"]["pvalue"] == pytest.approx(p)
    code, text, _ = _run(capsys, "abtest", str(srm_file), "--srm-threshold", "0.01")
    assert code == 0
    assert text.splitlines()[1].startswith("RESULTS NOT TRUSTWORTHY: sample ratio mismatch")
    assert text.rstrip().endswith("until the cause is found.")
    # at the default threshold there is no mismatch and nothing is said against the results
    code, text, _ = _run(capsys, "abtest", str(srm_file), "--fail-on-srm")
    assert code == 0 and "TRUSTWORTHY" not in text and text.startswith("sample ratio ok")


def test_fail_on_srm_exits_1_with_the_report(srm_file, capsys):
    code, out = _json(capsys, "abtest", str(srm_file), "--srm-threshold", "0.01",
                      "--fail-on-srm")
    assert code == 1 and out["trustworthy"] is False and out["effects"]
    code, text, _ = _run(capsys, "abtest", str(srm_file), "--srm-threshold", "0.01",
                         "--fail-on-srm")
    assert code == 1 and "RESULTS NOT TRUSTWORTHY" in text and "relative lift" in text


# --------------------------------------------------------------------------- bad input
def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _table(rows):
    return "variant,converted,value\n" + "".join(f"{a},{c},{v}\n" for a, c, v in rows)


GOOD = [("control", i % 2, float(i)) for i in range(6)] + [
    ("treatment", (i + 1) % 2, float(i)) for i in range(6)]

BAD_FILES = {
    "empty": ("", [], "empty"),
    "header_only": ("variant,converted,value\n", [], "no rows"),
    "missing_metric": (_table(GOOD), ["--metrics", "revenue"], "--metrics 'revenue' is not a "
                       "column"),
    "missing_variant": (_table(GOOD), ["--variant", "arm"], "--variant 'arm' is not a "
                        "column"),
    "missing_covariate": (_table(GOOD), ["--covariates", "pre"], "--covariates 'pre' is not a "
                          "column"),
    "zero_customer_arm": (_table(GOOD), ["--expected", "control=1,treatment=1,holdout=1"],
                          "['holdout'] that have 0 customers"),
    "control_absent": (_table(GOOD), ["--control", "ctrl"], "--control 'ctrl' is not an arm"),
    "all_nan_metric": ("variant,converted,value\n" + "".join(
        f"{a},,{v}\n" for a, _, v in GOOD), [], "missing in all 12 rows"),
    "some_nan_metric": ("variant,converted,value\ncontrol,,1\n" + _table(GOOD).split("\n", 1)[1],
                        [], "file lines [2]"),
    "text_metric": (_table([(a, "yes", v) for a, _, v in GOOD]), [], "is not numeric"),
    "single_arm": (_table([("control", c, v) for _, c, v in GOOD]), [], "a single arm"),
    "one_and_one_point_zero": (_table(GOOD + [("1", 1, 0.0), ("1.0", 0, 1.0)]), [],
                               "['1', '1.0'] that differ only in blanks or number format"),
    "numeric_labels_merge": ("variant,converted\n1,1\n1.0,0\n2,1\n2,0\n", [],
                             "['1', '1.0'] that differ only in blanks or number format"),
    "blank_label": (_table(GOOD + [(" control", 1, 0.0)]), [],
                    "[' control', 'control'] that differ only in blanks"),
    "bad_alpha": (_table(GOOD), ["--alpha", "1.5"], "--alpha 1.5: must lie strictly"),
    "bad_expected": (_table(GOOD), ["--expected", "control=half"], "is not a number"),
    "missing_ratio_part": (_table(GOOD), ["--ratios", "r=value/sessions"],
                           "--ratios 'sessions' is not a column"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_bad_input_one_line_exit_2(case, fmt, tmp_path, capsys):
    text, extra, expected = BAD_FILES[case]
    path = _write(tmp_path, f"{case}.csv", text)
    code, out, err = _run(capsys, "abtest", str(path), *extra, "--format", fmt)
    assert code == 2
    if fmt == "text":
        assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert expected in err
    else:
        payload = json.loads(out)
        assert payload["valid"] is False and expected in payload["error"]


def test_numeric_labels_are_kept_as_written(tmp_path, capsys):
    # a CSV reader reads 01 and 02 as the numbers 1 and 2; the arms keep the written labels
    path = _write(tmp_path, "z.csv", "variant;converted\n01;1\n01;0\n02;1\n02;0\n01;0\n")
    code, out = _json(capsys, "abtest", str(path))
    assert code == 0 and out["control"] == "01" and out["srm"]["info"]["arms"] == ["01", "02"]


def test_labels_that_print_alike_are_refused():
    from cjmodels.cli.abtest import _check_arms

    t = pd.DataFrame({"variant": pd.Series([1, "1", "control"], dtype=object)})
    with pytest.raises(ValidationError, match=r"1 \(int\), '1' \(str\) that print the same"):
        _check_arms(t, "variant", "t.csv")
    t = pd.DataFrame({"variant": ["a", "b", "a"]})
    assert _check_arms(t, "variant", "t.csv") == ["a", "b"]


# --------------------------------------------------------------------------- power
def test_power_proportions_sample_size_matches_r(capsys):
    # R 4.2.2: power.prop.test(p1 = .10, p2 = .12, power = .8)$n = 3840.847 per group
    # (tests/experiments/reference/sequential_power_reference.json, "n_10_12"): 3,841 customers
    # per arm, rounded up; the exact value to 1e-6
    code, out = _json(capsys, "power", "--baseline", "0.10", "--mde", "0.02")
    assert code == 0
    assert out["n_control"] == 3841 and out["n_arm"] == 3841 and out["n_total"] == 7682
    assert isinstance(out["n_control"], int)
    assert out["n_control_exact"] == pytest.approx(3840.84748243445, abs=1e-6)
    assert out["achieved_power"] >= 0.8
    # the same with a relative MDE of 20%
    code, rel = _json(capsys, "power", "--baseline", "0.10", "--mde", "0.2", "--relative")
    assert rel["n_control"] == 3841 and rel["mde"] == pytest.approx(0.02)
    # R: power.prop.test(p1 = .10, p2 = .13, power = .9, sig.level = .01)$n = 3362.749 -> 3363
    code, out = _json(capsys, "power", "--baseline", "0.10", "--mde", "0.03", "--power", "0.9",
                      "--alpha", "0.01")
    assert out["n_control"] == 3363 and out["n_control_exact"] == pytest.approx(
        3362.74876862559, abs=1e-6)
    # R: power.prop.test(p1 = .10, p2 = .12, power = .8, alternative = "one.sided")$n =
    # 3025.315 -> 3026
    code, out = _json(capsys, "power", "--baseline", "0.10", "--mde", "0.02", "--alternative",
                      "greater")
    assert out["n_control"] == 3026
    code, text, _ = _run(capsys, "power", "--baseline", "0.10", "--mde", "0.02")
    assert "3,841 in control" in text and "7,682 in total" in text


def test_power_and_mde_given_n(capsys):
    # R: power.prop.test(p1 = .10, p2 = .12, n = 3000, strict = TRUE)$power = 0.6970498
    # (reference json "power_10_12_n3000"); tolerance 1e-9
    code, out = _json(capsys, "power", "--baseline", "0.10", "--mde", "0.02", "--n-control", "3000")
    assert code == 0 and out["solve_for"] == "power"
    assert out["power"] == pytest.approx(0.697049843440991, abs=1e-9)
    # inverse: with R's n = 3840.847 per arm the minimum detectable effect is 0.02 (1e-6)
    code, out = _json(capsys, "power", "--baseline", "0.10", "--n-control", "3840.84748243445")
    assert out["solve_for"] == "mde" and out["mde"] == pytest.approx(0.02, abs=1e-6)
    assert out["mde_relative"] == pytest.approx(0.2, abs=1e-5)
    # one-sided "less": the detectable decrease; statsmodels power_proportions_2indep(diff,
    # 0.10, 5000, alternative="smaller") (pooled null variance) has power 0.8 there (1e-6)
    from statsmodels.stats.proportion import power_proportions_2indep

    code, out = _json(capsys, "power", "--baseline", "0.10", "--n-control", "5000", "--alternative",
                      "less")
    assert out["direction"] == "decrease" and out["mde"] < 0
    sm = power_proportions_2indep(out["mde"], 0.10, 5000, alternative="smaller",
                                  return_results=True).power
    assert sm == pytest.approx(0.8, abs=1e-6)


def test_power_means_match_statsmodels(capsys):
    # statsmodels NormalIndPower().solve_power(effect_size=0.1, power=0.8, alpha=0.05) =
    # 1569.772 (counting the far tail); our closed form 1569.776 ignores it: both round up to
    # 1,570; the exact values agree to 1e-5 relative
    ref = NormalIndPower().solve_power(effect_size=0.1, power=0.8, alpha=0.05)
    code, out = _json(capsys, "power", "--sd", "2", "--mde", "0.2")
    assert out["n_control"] == math.ceil(ref) == 1570
    assert out["n_control_exact"] == pytest.approx(ref, rel=1e-5)
    # NormalIndPower().solve_power(effect_size=0.1, nobs1=1000, ratio=2, alpha=0.05): power
    # with 1,000 in control and 2,000 in the arm; tolerance 1e-9
    pw = NormalIndPower().solve_power(effect_size=0.1, nobs1=1000, ratio=2, alpha=0.05)
    code, out = _json(capsys, "power", "--sd", "1", "--mde", "0.1", "--n-control", "1000",
                      "--ratio",
                      "2")
    assert out["power"] == pytest.approx(pw, abs=1e-9)
    # relative MDE on a mean of 20: 0.5% of 20 = 0.1 with sd 1
    code, out = _json(capsys, "power", "--sd", "1", "--baseline", "20", "--mde", "0.005",
                      "--relative")
    assert out["n_control"] == 1570
    # CUPED planning: variance times (1 - 0.36)
    code, out = _json(capsys, "power", "--sd", "1", "--mde", "0.1", "--variance-reduction",
                      "0.36")
    assert out["n_control_exact"] == pytest.approx(0.64 * ref, rel=1e-5)


def test_power_integer_rounded_up_multi_arm(capsys):
    # three arms, Bonferroni: each comparison at 0.025; allocation 2:1 rounds each arm up
    code, out = _json(capsys, "power", "--baseline", "0.05", "--mde", "0.1", "--relative",
                      "--n-arms", "3", "--ratio", "0.5")
    assert out["alpha_per_comparison"] == pytest.approx(0.025)
    for k in ("n_control", "n_arm", "n_total"):
        assert isinstance(out[k], int)
    assert 0 <= out["n_control"] - out["n_control_exact"] < 1
    assert 0 <= out["n_arm"] - out["n_arm_exact"] < 1
    assert out["n_total"] == out["n_control"] + 2 * out["n_arm"]
    assert out["achieved_power"] >= 0.8


@pytest.mark.parametrize("argv, expected", [
    (["--mde", "0.02"], "give --baseline"),
    (["--baseline", "0.1"], "give --mde"),
    (["--baseline", "1.5", "--mde", "0.02"], "--baseline 1.5"),
    (["--baseline", "0.1", "--mde", "0.02", "--n-control", "100", "--power", "0.9"], "drop --power"),
    (["--baseline", "0.1", "--mde", "0.95"], "outside (0, 1)"),
    (["--sd", "1", "--mde", "0.1", "--relative"], "needs --baseline"),
    (["--baseline", "0.1", "--mde", "0.02", "--n-arms", "1"], "--n-arms 1"),
    (["--baseline", "0.1", "--mde", "0.02", "--alpha", "0"], "--alpha 0"),
    (["--baseline", "0.1", "--mde", "-0.02", "--alternative", "greater"], "points against"),
])
def test_power_bad_flags_exit_2(argv, expected, capsys):
    code, out, err = _run(capsys, "power", *argv)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1


def test_segment_without_an_arm_is_refused(tmp_path, capsys):
    t = pd.DataFrame({"variant": ["control", "treatment"] * 4 + ["control"] * 2,
                      "converted": [0, 1, 1, 0, 0, 1, 1, 0, 1, 0],
                      "seg": ["x"] * 8 + ["y"] * 2})
    t.to_csv(tmp_path / "seg.csv", index=False)
    code, out, err = _run(capsys, "abtest", str(tmp_path / "seg.csv"), "--group", "seg")
    assert code == 2 and "group 'y' has 0 customers in arms ['treatment']" in err
    code, out, err = _run(capsys, "abtest", str(tmp_path / "seg.csv"), "--group", "region")
    assert code == 2 and "--group 'region' is not a column" in err


def test_notes_for_lifts_that_mislead(tmp_path, capsys):
    # a negative control mean: the lift's sign is meaningless; an arm with rate 0: the
    # log-ratio interval does not exist (the difference's does)
    neg = _write(tmp_path, "neg.csv", "variant,value\na,-1\na,-2\na,-1.5\nb,1\nb,0\nb,0.5\n")
    code, out = _json(capsys, "abtest", str(neg), "--metrics", "value")
    assert code == 0 and any("negative control mean (-1.5)" in n for n in out["notes"])
    zero = _write(tmp_path, "zt.csv", "variant,converted\na,1\na,1\na,0\nb,0\nb,0\nb,0\n")
    code, out = _json(capsys, "abtest", str(zero))
    (e,) = out["effects"]
    assert code == 0 and e["relative_lift"] == pytest.approx(-1.0)
    assert e["relative_lift_ci_low"] is None and e["difference_ci_low"] is not None
    assert any("interval of the relative lift of 'converted' for arm 'b' is undefined" in n
               for n in out["notes"])
