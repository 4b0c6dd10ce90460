"""BG/NBD and Gamma-Gamma: the published CDNOW estimates, lifetimes as an oracle, properties."""

from __future__ import annotations

import importlib.util
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.core import btyd
from rapport.core.btyd import (
    BgNbd,
    GammaGamma,
    NotEnoughData,
    Rfm,
    bgnbd_expected,
    bgnbd_fit,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    clv,
    gamma_gamma_fit,
    gamma_gamma_spend,
    rfm_from_purchases,
    score,
)


def _lifetimes_datasets() -> Path | None:
    """The CDNOW files shipped inside the lifetimes wheel (its datasets module needs
    pkg_resources, so the files are read directly)."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


DATASETS = _lifetimes_datasets()


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    """The CDNOW sample: 2,357 customers, 39-week calibration; time in weeks."""
    pytest.importorskip("lifetimes")
    assert DATASETS is not None
    path = DATASETS / "cdnow_customers_summary_with_transactions.csv"
    ids, x, t_x, T, zbar = np.loadtxt(path, delimiter=",", skiprows=1, unpack=True)
    return {"id": ids.astype(np.int64), "x": x, "t_x": t_x, "T": T, "m": zbar}


@pytest.fixture(scope="module")
def cdnow_bg(cdnow: dict[str, np.ndarray]) -> BgNbd:
    return bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.fixture(scope="module")
def cdnow_gg(cdnow: dict[str, np.ndarray]) -> GammaGamma:
    return gamma_gamma_fit(cdnow["x"], cdnow["m"])


# --- the published CDNOW figures -----------------------------------------------------------------


def sig3(value: float) -> str:
    return f"{value:.3g}"


def test_cdnow_bgnbd_published_estimates(cdnow: dict[str, np.ndarray], cdnow_bg: BgNbd) -> None:
    # Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
    bg = cdnow_bg
    assert (sig3(bg.r), sig3(bg.alpha), sig3(bg.a), sig3(bg.b)) == (
        "0.243",
        "4.41",
        "0.793",
        "2.43",
    )
    assert bg.r == pytest.approx(0.243, abs=5e-4)
    assert bg.alpha == pytest.approx(4.414, abs=5e-4)
    assert bg.a == pytest.approx(0.793, abs=5e-4)
    assert bg.b == pytest.approx(2.426, abs=5e-4)
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert bg.clients == 2357
    assert bgnbd_log_likelihood(
        bg.r, bg.alpha, bg.a, bg.b, cdnow["x"], cdnow["t_x"], cdnow["T"]
    ) == (pytest.approx(bg.log_likelihood, rel=1e-12))


def test_cdnow_fit_is_a_maximum(cdnow: dict[str, np.ndarray], cdnow_bg: BgNbd) -> None:
    bg = cdnow_bg
    best = [bg.r, bg.alpha, bg.a, bg.b]
    for i in range(4):
        for factor in (0.999, 1.001):
            r, alpha, a, b = (v * factor if j == i else v for j, v in enumerate(best))
            ll = bgnbd_log_likelihood(r, alpha, a, b, cdnow["x"], cdnow["t_x"], cdnow["T"])
            assert ll < bg.log_likelihood


def test_cdnow_gamma_gamma_published_estimates(cdnow_gg: GammaGamma) -> None:
    # Fader, Hardie & Lee, "RFM and CLV" (2005): p = 6.25, q = 3.74, γ = 15.44; 946 repeaters.
    gg = cdnow_gg
    assert (sig3(gg.p), sig3(gg.q), sig3(gg.v)) == ("6.25", "3.74", "15.4")
    assert gg.v == pytest.approx(15.44, abs=0.01)
    assert gg.clients == 946


def test_cdnow_one_customer(cdnow_bg: BgNbd) -> None:
    # x = 2, t_x = 30.43, T = 38.86: 1.226 purchases expected in the next 39 weeks, P(alive) 0.7266.
    expected = bgnbd_expected(cdnow_bg, 39, 2, 30.43, 38.86)
    assert float(expected) == pytest.approx(1.226, abs=5e-4)
    assert float(bgnbd_p_alive(cdnow_bg, 2, 30.43, 38.86)) == pytest.approx(0.7266, abs=5e-5)


def test_days_and_weeks_give_the_same_model(cdnow: dict[str, np.ndarray], cdnow_bg: BgNbd) -> None:
    days = bgnbd_fit(cdnow["x"], cdnow["t_x"] * 7, cdnow["T"] * 7)
    assert days.r == pytest.approx(cdnow_bg.r, rel=1e-6)
    assert days.a == pytest.approx(cdnow_bg.a, rel=1e-6)
    assert days.b == pytest.approx(cdnow_bg.b, rel=1e-6)
    assert days.alpha == pytest.approx(cdnow_bg.alpha * 7, rel=1e-6)
    # The likelihood of t_x in days is that in weeks / 7 per repeat purchase.
    shift = cdnow["x"].sum() * math.log(7)
    assert days.log_likelihood == pytest.approx(cdnow_bg.log_likelihood - shift, rel=1e-9)


# --- lifetimes as an oracle ----------------------------------------------------------------------


def test_same_as_lifetimes_on_cdnow(cdnow: dict[str, np.ndarray]) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    x, t_x, T, m = cdnow["x"], cdnow["t_x"] * 7, cdnow["T"] * 7, cdnow["m"]  # in days
    bgf = lifetimes.BetaGeoFitter().fit(x, t_x, T)
    repeat = x > 0
    ggf = lifetimes.GammaGammaFitter().fit(x[repeat], m[repeat])
    bg, gg = bgnbd_fit(x, t_x, T), gamma_gamma_fit(x, m)
    theirs = bgf.params_
    assert [bg.r, bg.alpha, bg.a, bg.b] == pytest.approx(
        [theirs["r"], theirs["alpha"], theirs["a"], theirs["b"]], rel=1e-3
    )
    assert [gg.p, gg.q, gg.v] == pytest.approx(
        [ggf.params_["p"], ggf.params_["q"], ggf.params_["v"]], rel=1e-3
    )
    np.testing.assert_allclose(
        bgnbd_p_alive(bg, x, t_x, T), bgf.conditional_probability_alive(x, t_x, T), rtol=1e-3
    )
    for horizon in (7.0, 90.0, 273.0):
        np.testing.assert_allclose(
            bgnbd_expected(bg, horizon, x, t_x, T),
            bgf.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T),
            rtol=1e-3,
        )
    np.testing.assert_allclose(
        gamma_gamma_spend(gg, x, m), ggf.conditional_expected_average_profit(x, m), rtol=1e-3
    )
    rfm = Rfm(clients=cdnow["id"], frequency=x, recency=t_x, T=T, monetary=m)
    theirs_clv = ggf.customer_lifetime_value(
        bgf, pd.Series(x), pd.Series(t_x), pd.Series(T), pd.Series(m),
        time=12, discount_rate=0.01, freq="D",
    )  # fmt: skip
    np.testing.assert_allclose(clv(bg, gg, rfm), np.asarray(theirs_clv), rtol=1e-3)


# --- holdout: calibration weeks 1–39, prediction of weeks 40–78 ----------------------------------


def _cdnow_transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CDNOW_sample.txt: master id, sample id (1…2357), yyyymmdd, CDs, dollars."""
    pytest.importorskip("lifetimes")
    assert DATASETS is not None
    path = DATASETS / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip("lifetimes does not ship CDNOW_sample.txt")
    raw = np.loadtxt(path, ndmin=2)
    stamps = raw[:, 2].astype(np.int64).tolist()
    days = np.array([date(s // 10000, s // 100 % 100, s % 100).toordinal() for s in stamps])
    return raw[:, 1].astype(np.int64), days, raw[:, 4]


def test_cdnow_transactions_give_the_published_summary(cdnow: dict[str, np.ndarray]) -> None:
    client, day, amount = _cdnow_transactions()
    rfm = rfm_from_purchases(client, day, amount, today=date(1997, 9, 30).toordinal())
    np.testing.assert_array_equal(rfm.clients, cdnow["id"])
    np.testing.assert_array_equal(rfm.frequency, cdnow["x"])
    np.testing.assert_allclose(rfm.recency / 7, cdnow["t_x"], atol=0.005)  # weeks to 2 decimals
    np.testing.assert_allclose(rfm.T / 7, cdnow["T"], atol=0.005)
    np.testing.assert_allclose(rfm.monetary, cdnow["m"], atol=0.005)


def test_cdnow_holdout_prediction() -> None:
    client, day, amount = _cdnow_transactions()
    end = date(1997, 9, 30).toordinal()  # end of week 39
    holdout_end = date(1998, 6, 30).toordinal()  # end of week 78
    rfm = rfm_from_purchases(client, day, amount, today=end)
    later = (day > end) & (day <= holdout_end)
    actual = np.unique(client[later] * 1_000_000 + day[later]).size  # purchase days, as in x
    bg = bgnbd_fit(rfm.frequency, rfm.recency, rfm.T)
    predicted = float(
        bgnbd_expected(bg, holdout_end - end, rfm.frequency, rfm.recency, rfm.T).sum()
    )
    # 1,882 purchase days actually happened in weeks 40–78; the model expects 1,653.4 (−12.1 %):
    # the holdout includes the 1997 Christmas season, which a stationary model cannot know about.
    assert actual == 1882
    assert predicted == pytest.approx(1653.4, abs=0.5)
    assert abs(predicted - actual) / actual < 0.15


# --- rfm_from_purchases -------------------------------------------------------------------------


def test_rfm_from_purchases_by_hand() -> None:
    rows = [
        # client, day, amount
        (7, 110, 30.0),
        (3, 115, 40.0),
        (7, 100, 10.0),
        (5, 95, 6.0),
        (7, 130, 99.0),  # after today: ignored
        (5, 90, 10.0),
        (9, 121, 50.0),  # only after today: no row at all
        (7, 103, 20.0),
        (5, 95, 4.0),  # same day as the 6.0: one purchase of 10
        (7, 100, 5.0),  # same day as the 10.0: the first day is 15
        (5, 90, 1.0),  # the first day again: not a repeat purchase
    ]
    client, day, amount = (np.array(col) for col in zip(*rows, strict=True))
    rfm = rfm_from_purchases(client, day, amount, today=120)
    np.testing.assert_array_equal(rfm.clients, [3, 5, 7])
    assert rfm.clients.dtype == np.int64
    np.testing.assert_array_equal(rfm.frequency, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(rfm.recency, [0.0, 5.0, 10.0])
    np.testing.assert_array_equal(rfm.T, [5.0, 30.0, 20.0])
    np.testing.assert_array_equal(rfm.monetary, [0.0, 10.0, 25.0])  # (20 + 30) / 2
    for array in (rfm.frequency, rfm.recency, rfm.T, rfm.monetary):
        assert array.dtype == np.float64


def test_rfm_with_ids_too_far_apart_to_pack() -> None:
    client = np.array([2**62, 1, 2**62, 1, 1])
    day = np.array([10, 12, 15, 12, 3])
    rfm = rfm_from_purchases(client, day, np.array([1.0, 2.0, 3.0, 4.0, 5.0]), today=20)
    np.testing.assert_array_equal(rfm.clients, [1, 2**62])
    np.testing.assert_array_equal(rfm.frequency, [1.0, 1.0])
    np.testing.assert_array_equal(rfm.recency, [9.0, 5.0])
    np.testing.assert_array_equal(rfm.T, [17.0, 10.0])
    np.testing.assert_array_equal(rfm.monetary, [6.0, 3.0])


def test_rfm_from_no_purchases() -> None:
    rfm = rfm_from_purchases(np.array([1]), np.array([10]), np.array([5.0]), today=9)
    assert rfm.clients.size == rfm.frequency.size == rfm.monetary.size == 0
    # Scoring nobody with fitted models gives empty arrays (one client without purchases).
    bg = BgNbd(0.24, 31.0, 0.79, 2.4, 0.0, 0, 0)
    gg = GammaGamma(6.25, 3.74, 15.44, 0.0, 0, 0)
    assert bgnbd_p_alive(bg, rfm.frequency, rfm.recency, rfm.T).size == 0
    assert bgnbd_expected(bg, 90, rfm.frequency, rfm.recency, rfm.T).size == 0
    assert gamma_gamma_spend(gg, rfm.frequency, rfm.monetary).size == 0
    assert clv(bg, gg, rfm).size == 0


@pytest.mark.parametrize("packed", [True, False])
def test_group_rows(monkeypatch: pytest.MonkeyPatch, packed: bool) -> None:
    if not packed:  # the np.unique(axis=0) path for keys that do not fit in an int64
        monkeypatch.setattr(btyd, "_GROUP_KEY_LIMIT", 0)
    rng = np.random.default_rng(4)
    cols = (
        rng.integers(0, 5, 2000).astype(np.float64),  # small whole numbers: codes, no sorting
        rng.choice([0.5, 1e9, -3.25], 2000).astype(np.float64),  # anything else: np.unique
        (rng.integers(0, 40, 2000) * 7).astype(np.float64),
    )
    distinct, inverse, counts = btyd._group(*cols)
    expected = np.unique(np.column_stack(cols), axis=0)
    np.testing.assert_array_equal(np.column_stack(distinct), expected)
    for col, values in zip(cols, distinct, strict=True):
        np.testing.assert_array_equal(values[inverse], col)
    np.testing.assert_array_equal(counts, np.bincount(inverse))


# --- simulated data: the fit recovers the parameters ---------------------------------------------


def test_simulated_parameters_are_recovered() -> None:
    truth = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 15_000.0}
    client, day, amount = btyd.simulate_purchases(
        20_000, today=800_000, max_age=1095, seed=3, **truth
    )
    rfm = rfm_from_purchases(client, day, amount, today=800_000)
    result = score(rfm)
    assert result.gg is not None
    got = {k: getattr(result.bg, k) for k in ["r", "alpha", "a", "b"]}
    got |= {k: getattr(result.gg, k) for k in ["p", "q", "v"]}
    for name, value in truth.items():
        assert got[name] == pytest.approx(value, rel=0.2), name


def test_no_interior_maximum_gives_the_limit_model() -> None:
    # Everyone with the same dropout probability (a, b → ∞, a/(a+b) = 0.08): the likelihood has
    # no interior maximum, the fit stops at the cap with the right ratio and scores normally.
    client, day, amount = btyd.simulate_purchases(
        2_000, today=800_000, max_age=700, seed=1,
        r=20.0, alpha=400.0, a=8e4, b=9.2e5, p=5.0, q=3.0, v=10_000.0,
    )  # fmt: skip
    rfm = rfm_from_purchases(client, day, amount, today=800_000)
    result = score(rfm)
    assert result.bg.b == pytest.approx(1e6)
    assert result.bg.a / (result.bg.a + result.bg.b) == pytest.approx(0.08, rel=0.2)
    for values in (result.p_alive, result.expected, result.clv):
        assert np.isfinite(values).all() and (values >= 0).all()


def test_score_matches_the_single_functions() -> None:
    client, day, amount = btyd.simulate_purchases(
        3_000, today=800_000, max_age=700, seed=5,
        r=0.3, alpha=25.0, a=0.9, b=3.0, p=5.0, q=3.0, v=10_000.0,
    )  # fmt: skip
    rfm = rfm_from_purchases(client, day, amount, today=800_000)
    result = score(rfm, expected_days=60, months=6, monthly_discount=0.02)
    assert result.gg is not None
    f, r, T = rfm.frequency, rfm.recency, rfm.T
    np.testing.assert_allclose(result.p_alive, bgnbd_p_alive(result.bg, f, r, T), rtol=1e-12)
    np.testing.assert_allclose(result.expected, bgnbd_expected(result.bg, 60, f, r, T), rtol=1e-12)
    np.testing.assert_allclose(result.spend, gamma_gamma_spend(result.gg, f, rfm.monetary))
    np.testing.assert_allclose(
        result.clv, clv(result.bg, result.gg, rfm, months=6, monthly_discount=0.02), rtol=1e-12
    )
    assert (result.clv >= 0).all()
    # The population mean spend for one-time buyers.
    gg = result.gg
    assert result.spend[f == 0] == pytest.approx(gg.p * gg.v / (gg.q - 1))


# --- properties ---------------------------------------------------------------------------------

# Plausible values, and the box a fit may end on when the data have no interior maximum.
positive = st.one_of(st.floats(min_value=0.01, max_value=50.0), st.sampled_from([1e-6, 1e6]))


@st.composite
def models(draw: st.DrawFn) -> BgNbd:
    return BgNbd(
        r=draw(positive),
        alpha=draw(st.one_of(st.floats(0.01, 1000.0), st.sampled_from([1e-4, 1e8]))),
        a=draw(st.one_of(positive, st.just(1.0))),
        b=draw(positive),
        log_likelihood=0.0,
        clients=0,
        iterations=0,
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[float, float, float]:
    T = draw(st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=5000.0)))
    x = float(draw(st.one_of(st.integers(0, 50), st.integers(0, 1_000_000))))
    t_x = 0.0 if x == 0 else T * draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0))
    return x, min(t_x, T), T


HORIZONS = (0.0, 1.0, 30.0, 90.0, 365.0, 3650.0)


@settings(max_examples=150, deadline=None)
@given(models(), st.lists(histories(), min_size=1, max_size=8))
def test_p_alive_and_expected_are_sane(
    model: BgNbd, rows: list[tuple[float, float, float]]
) -> None:
    x, t_x, T = (np.array(col) for col in zip(*rows, strict=True))
    alive = bgnbd_p_alive(model, x, t_x, T)
    assert np.isfinite(alive).all()
    assert ((alive >= 0) & (alive <= 1)).all()
    assert (alive[x == 0] == 1).all()
    previous = np.zeros_like(x)
    for horizon in HORIZONS:
        expected = bgnbd_expected(model, horizon, x, t_x, T)
        assert np.isfinite(expected).all()
        assert (expected >= 0).all()
        assert (expected >= previous * (1 - 1e-9) - 1e-12).all()
        previous = expected
    assert (bgnbd_expected(model, 0.0, x, t_x, T) == 0).all()


@settings(max_examples=80, deadline=None)
@given(
    models(),
    st.lists(histories(), min_size=1, max_size=8),
    st.floats(min_value=0.5, max_value=20.0),
    st.floats(min_value=1.05, max_value=20.0),
    st.floats(min_value=1.0, max_value=1e6),
    st.floats(min_value=0.0, max_value=1e5),
)
def test_clv_is_finite_and_not_negative(
    model: BgNbd, rows: list[tuple[float, float, float]], p: float, q: float, v: float, m: float
) -> None:
    x, t_x, T = (np.array(col) for col in zip(*rows, strict=True))
    rfm = Rfm(np.arange(x.size), x, t_x, T, np.where(x > 0, m, 0.0))
    gg = GammaGamma(p=p, q=q, v=v, log_likelihood=0.0, clients=0, iterations=0)
    value = clv(model, gg, rfm)
    assert np.isfinite(value).all()
    assert (value >= 0).all()


@pytest.mark.parametrize("a", [0.05, 0.3, 0.79, 1.5, 4.0])
@pytest.mark.parametrize("b", [0.1, 0.4, 1.0, 2.4, 30.0])
def test_closed_form_agrees_with_quadrature(a: float, b: float) -> None:
    model = BgNbd(r=0.24, alpha=31.0, a=a, b=b, log_likelihood=0.0, clients=0, iterations=0)
    x = np.array([0.0, 1.0, 2.0, 7.0, 40.0, 300.0])
    T = np.array([0.0, 35.0, 300.0, 700.0, 1000.0, 1095.0])
    horizons = (1.0, 30.0, 365.0, 3650.0)
    quadrature = btyd._growth_quadrature(model, x, T, horizons)
    for t, quad in zip(horizons, quadrature, strict=True):
        closed = btyd._growth_closed(model, a, model.r, x, T, t)
        # x = 0 with a + b < 1.25 goes through the contiguous relation; below 0.25, quadrature only.
        ok = (a + b + x - 1) >= -0.75
        np.testing.assert_allclose(closed[ok], quad[ok], rtol=1e-9)


def test_whole_c_minus_a_minus_b() -> None:
    # r - a = -1: SciPy's ₂F₁ is NaN there for z > 0.9; the expectation steps around it.
    model = BgNbd(r=0.5, alpha=4.0, a=1.5, b=1.0, log_likelihood=0.0, clients=0, iterations=0)
    x, T = np.array([901.0, 3.0]), np.array([0.0, 10.0])
    horizons = (30.0, 365.0, 3650.0)
    got = btyd._growth(model, x, T, horizons)
    assert np.isfinite(got).all()
    assert np.isnan(btyd._growth_closed(model, model.a, model.r, x, T, 3650.0)[0])
    for t, row in zip(horizons, got, strict=True):
        near = btyd._growth_closed(model, model.a, model.r * (1 + 1e-7), x, T, t)
        np.testing.assert_allclose(row, near, rtol=1e-6)


@pytest.mark.parametrize("a", [1.0, 1 + 4e-4, 1 - 9e-4, 1 + 1.5e-3])
def test_a_near_one(a: float) -> None:
    # The closed form is 0/0 at a = 1 and loses digits near it: extrapolated from both sides.
    model = BgNbd(r=0.5, alpha=10.0, a=a, b=2.0, log_likelihood=0.0, clients=0, iterations=0)
    x, T = np.array([0.0, 3.0, 20.0]), np.array([50.0, 80.0, 90.0])
    horizons = (7.0, 60.0, 365.0)
    np.testing.assert_allclose(
        btyd._growth(model, x, T, horizons),
        btyd._growth_quadrature(model, x, T, horizons),
        rtol=1e-9,
    )


def test_extreme_histories_are_finite(cdnow_bg: BgNbd) -> None:
    x = np.array([0.0, 0.0, 1e6, 1e6, 5.0, 1e9])
    t_x = np.array([0.0, 0.0, 10.0, 0.0, 5.0, 1e5])
    T = np.array([0.0, 1e7, 10.0, 1e6, 5.0, 1e5])
    for horizon in (0.0, 1.0, 39.0, 1e6):
        expected = bgnbd_expected(cdnow_bg, horizon, x, t_x, T)
        assert np.isfinite(expected).all() and (expected >= 0).all()
    alive = bgnbd_p_alive(cdnow_bg, x, t_x, T)
    assert np.isfinite(alive).all() and ((alive >= 0) & (alive <= 1)).all()


# --- not enough data ----------------------------------------------------------------------------


def test_not_enough_data() -> None:
    with pytest.raises(NotEnoughData):
        bgnbd_fit([1, 2, 0], [3, 5, 0], [10, 10, 10])  # three clients
    with pytest.raises(NotEnoughData):
        bgnbd_fit(np.zeros(50), np.zeros(50), np.arange(50.0))  # nobody came back
    with pytest.raises(NotEnoughData):
        bgnbd_fit(np.zeros(50), np.zeros(50), np.zeros(50))  # all bought today
    with pytest.raises(NotEnoughData):
        gamma_gamma_fit(np.ones(5), np.full(5, 10.0))  # five repeaters
    with pytest.raises(NotEnoughData):
        gamma_gamma_fit(np.zeros(100), np.zeros(100))  # nobody with a repeat purchase
    with pytest.raises(NotEnoughData):
        gamma_gamma_fit(np.ones(100), np.full(100, 10.0))  # nobody spends differently
    assert issubclass(NotEnoughData, ValueError)


def test_invalid_input() -> None:
    with pytest.raises(ValueError, match="recency"):
        bgnbd_fit(np.ones(20), np.full(20, 11.0), np.full(20, 10.0))
    with pytest.raises(ValueError, match="finite"):
        bgnbd_p_alive(BgNbd(1, 1, 1, 2, 0, 0, 0), [np.nan], [0], [1])
    with pytest.raises(ValueError, match="negative"):
        gamma_gamma_spend(GammaGamma(1, 2, 3, 0, 0, 0), [-1], [3])


def test_score_without_spend() -> None:
    client, day, amount = btyd.simulate_purchases(
        500, today=800_000, max_age=700, seed=2,
        r=0.3, alpha=25.0, a=0.9, b=3.0, p=5.0, q=3.0, v=10_000.0,
    )  # fmt: skip
    rfm = rfm_from_purchases(client, day, np.zeros_like(amount), today=800_000)
    result = score(rfm)
    assert result.gg is None
    assert (result.spend == 0).all() and (result.clv == 0).all()
    assert result.p_alive.shape == result.expected.shape == rfm.clients.shape


def test_spend() -> None:
    gg = GammaGamma(p=6.25, q=3.74, v=15.44, log_likelihood=0.0, clients=0, iterations=0)
    spend = gamma_gamma_spend(gg, [0.0, 2.0, 2.0], [0.0, 20.0, -50.0])
    mean = 6.25 * 15.44 / 2.74
    assert spend[0] == pytest.approx(mean)  # nothing known: the population mean
    assert spend[1] == pytest.approx((6.25 * 15.44 + 6.25 * 2 * 20) / (6.25 * 2 + 3.74 - 1))
    assert spend[2] == pytest.approx(6.25 * 15.44 / (6.25 * 2 + 3.74 - 1))  # net returns: 0
