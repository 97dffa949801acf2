"""The IO manager accepts the multi-partition outputs of a backfill run over many playlists."""

import dagster as dg
import pytest

from playlist_assets.storage import PartitionedPickleIOManager

letters = dg.StaticPartitionsDefinition(["a", "b", "c"])


@dg.asset(partitions_def=letters, backfill_policy=dg.BackfillPolicy.single_run())
def doubled(context: dg.AssetExecutionContext) -> dict[str, str]:
    return {key: key * 2 for key in context.partition_keys}


@dg.asset(partitions_def=letters, backfill_policy=dg.BackfillPolicy.single_run())
def tripled(context: dg.AssetExecutionContext, doubled: dict[str, str]) -> dict[str, str]:
    return {key: doubled[key] + key for key in context.partition_keys}


@dg.asset(partitions_def=letters)
def shouted(doubled: str) -> str:
    return doubled.upper()


def test_multi_partition_output_is_stored_per_partition_and_read_back(tmp_path):
    io_manager = PartitionedPickleIOManager(base_dir=str(tmp_path))
    run = dg.materialize(
        [doubled, tripled],
        resources={"io_manager": io_manager},
        tags={"dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "c"},
    )
    assert run.success
    assert sorted(p.name for p in (tmp_path / "doubled").iterdir()) == ["a.pkl", "b.pkl", "c.pkl"]

    single = dg.materialize([doubled, shouted], selection=[shouted], resources={"io_manager": io_manager}, partition_key="b")
    assert single.output_for_node("shouted") == "BB"


def test_missing_upstream_partition_names_the_asset_and_partition(tmp_path):
    io_manager = PartitionedPickleIOManager(base_dir=str(tmp_path))
    with pytest.raises(Exception, match="partition 'a' of doubled has not been materialized"):
        dg.materialize([doubled, shouted], selection=[shouted], resources={"io_manager": io_manager}, partition_key="a")


produced, received = [], []


@dg.asset
def listed() -> list[str]:
    produced.append(["a", "b"])
    return produced[-1]


@dg.asset
def counted(listed: list[str]) -> int:
    received.append(listed)
    return len(listed)


def test_a_value_written_in_a_run_is_handed_to_later_steps_without_unpickling(tmp_path):
    io_manager = PartitionedPickleIOManager(base_dir=str(tmp_path))
    assert dg.materialize([listed, counted], resources={"io_manager": io_manager}).output_for_node("counted") == 2
    assert received[-1] is produced[-1]  # the same object, not a copy read back from the pickle
    assert (tmp_path / "listed.pkl").is_file()

    dg.materialize([listed, counted], selection=[counted], resources={"io_manager": io_manager})
    assert received[-1] == produced[-1] and received[-1] is not produced[-1]  # a later run reads the pickle
