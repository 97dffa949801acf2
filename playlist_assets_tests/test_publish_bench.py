"""The request-count benchmark, on a few playlists: its counts meet the formula, a rerun costs nothing."""

from bench.publish_requests import ROUNDS, measure, report


def test_the_first_publish_costs_the_formula_a_rerun_nothing_and_an_edit_a_few_writes():
    measured = measure(playlists=4, seed=3)
    first, rerun, edit = (measured.counts[title] for title in ROUNDS)
    assert first["creations"] == sum(measured.clusters) and first["reads"] == 0
    assert sum(first.values()) == measured.formula
    assert sum(rerun.values()) == 0
    assert edit["creations"] == edit["reads"] == 0
    assert edit["PUT items"] == edit["PUT details"] == 2 * sum(k > 0 for k in measured.clusters)  # 2 clusters each
    assert measured.exact and measured.made == sum(measured.clusters)
    lines = report(measured)
    assert f"measured: {measured.formula} writes" in lines[-3]
