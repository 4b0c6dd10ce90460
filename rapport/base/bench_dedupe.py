"""``rapport bench dedupe``: the duplicate search (DESIGN.md §6) against Splink, on the same data.

``dedupe_figures(clients=N, seed=S, peer=True)`` generates N people with known duplicates and
hard negatives (``rapport.core.dupes``), normalises the cards as the shell does, times Rapport's
matcher (blocking + scoring + evidence, ``identity.find_duplicates``) and, as the peer, Splink 5
on DuckDB fed the same normalised fields (name skeletons, E.164 phone, lower-case e-mail,
birthday, gender). Pairs are scored pairwise against the truth at each engine's review threshold
(0.8 for both). One dict per figure; no database, no Django.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from tqdm import tqdm

from rapport.core import dupes, identity

DEDUPE_BUDGET_SECONDS_1M = 120.0
PEER_THRESHOLD = 0.8


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def dedupe_figures(*, clients: int, seed: int, peer: bool) -> Iterator[dict[str, Any]]:
    """Data, normalisation, Rapport's matcher, Splink's, and the ratio (see the module doc)."""
    base = {"bench": "dedupe", "clients": clients}
    records, generate_s = _timed(lambda: dupes.generate_records(clients, seed=seed))
    truth = dupes.truth_of(records)
    kinds = Counter(record.kind for record in records)
    yield {**base, "engine": "generated", "step": "data", "records": len(records),
           "true_pairs": dupes.true_pairs(truth), "duplicate_cards": kinds["duplicate"],
           "family_cards": kinds["family"], "namesake_cards": kinds["namesake"],
           "seconds": round(generate_s, 2)}  # fmt: skip

    people, normalise_s = _timed(lambda: dupes.to_people(records))
    yield {**base, "engine": "rapport", "step": "normalise", "records": len(records),
           "seconds": round(normalise_s, 2),
           "what": "names cleaned, phones to E.164, e-mails lower-cased, gender from names; "
                   "done once when a card is written, not part of the search"}  # fmt: skip

    settings = identity.MatchSettings()
    bar = tqdm(total=6, desc="rapport dedupe", file=sys.stderr, disable=not sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    (matches, compared), match_s = _timed(
        lambda: identity.find_duplicates_counted(people, settings=settings, progress=progress)
    )
    bar.close()
    found = {(m.a, m.b) for m in matches}
    precision, recall, f1 = dupes.score_pairs(found, truth)
    auto = {(m.a, m.b) for m in matches if m.score >= settings.auto_merge}
    auto_precision, auto_recall, _ = dupes.score_pairs(auto, truth)
    ours = {**base, "engine": "rapport", "step": "match", "records": len(records),
            "seconds": round(match_s, 2), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4), "pairs_compared": compared,
            "pairs_found": len(found), "threshold": settings.review,
            "auto_merge_pairs": len(auto), "auto_merge_precision": round(auto_precision, 4),
            "auto_merge_recall": round(auto_recall, 4),
            "budget_seconds": DEDUPE_BUDGET_SECONDS_1M * clients / 1_000_000}  # fmt: skip
    yield ours
    if not peer:
        return

    theirs = splink_peer(people, truth)
    yield {**base, "engine": "splink", "step": "match", "records": len(records), **theirs}
    yield {**base, "step": "ratio", "speedup": round(theirs["seconds"] / max(match_s, 1e-9), 1),
           "f1_difference": round(f1 - theirs["f1"], 4)}  # fmt: skip


def splink_frame(people: list[identity.Person]) -> Any:
    """Our normalised fields as Splink's input columns (nulls where unknown)."""
    import polars as pl

    def text(value: str) -> str | None:
        return value or None

    return pl.DataFrame(
        {
            "unique_id": [p.id for p in people],
            "first_name": [text(identity.skeleton(p.first_name)) for p in people],
            "surname": [text(identity.skeleton(p.last_name)) for p in people],
            "middle_name": [text(identity.skeleton(p.middle_name)) for p in people],
            "birthday": [p.birthday for p in people],
            "phone": [p.phones[0] if p.phones else None for p in people],
            "email": [p.emails[0] if p.emails else None for p in people],
            "gender": [text(p.gender) for p in people],
        }
    )


def splink_peer(people: list[identity.Person], truth: dict[int, int]) -> dict[str, Any]:
    """Splink 5 on DuckDB: exact phone and e-mail, Jaro–Winkler names, birthday levels; blocking
    on phone, e-mail, (birthday, first name), (birthday, surname), (names, patronymic); u by
    random sampling, m by EM; predict at ``PEER_THRESHOLD``. The whole run is timed."""
    try:
        import splink.comparison_library as cl
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError as exc:  # pragma: no cover - the peer is a test dependency
        raise RuntimeError(f"the Splink peer is not installed ({exc}): pass --no-peer") from exc

    logging.getLogger("splink").setLevel(logging.ERROR)
    frame = splink_frame(people)
    started = time.perf_counter()
    db_api = DuckDBAPI()
    table = db_api.register(frame.to_arrow(), table_name="cards")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ExactMatch("phone"),
            cl.ExactMatch("email"),
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.NameComparison("middle_name"),
            cl.DateOfBirthComparison("birthday", input_is_string=False),
            cl.ExactMatch("gender"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("phone"),
            block_on("email"),
            block_on("birthday", "first_name"),
            block_on("birthday", "surname"),
            block_on("first_name", "surname", "middle_name"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(table, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone"), block_on("email")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birthday", "surname")
    )
    predictions = linker.inference.predict(threshold_match_probability=PEER_THRESHOLD)
    pairs = predictions.as_duckdbpyrelation().select("unique_id_l, unique_id_r").fetchall()
    seconds = time.perf_counter() - started
    precision, recall, f1 = dupes.score_pairs({(int(a), int(b)) for a, b in pairs}, truth)
    return {"seconds": round(seconds, 2), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4), "pairs_found": len(pairs),
            "threshold": PEER_THRESHOLD}  # fmt: skip


def dedupe_table(figures: list[dict[str, Any]]) -> str:
    """The figures as a table (without ``--json``)."""
    rows = [("engine", "step", "clients", "seconds", "")]
    skip = {"bench", "engine", "step", "clients", "seconds", "what"}
    for f in figures:
        rest = " ".join(f"{k}={v}" for k, v in f.items() if k not in skip)
        seconds = "" if "seconds" not in f else f"{f['seconds']:.2f}"
        rows.append((f.get("engine", ""), f["step"], f"{f['clients']:,}", seconds, rest))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )
