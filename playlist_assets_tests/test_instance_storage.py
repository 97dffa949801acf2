"""The project's SQLite storage (dagster.yaml): Dagster's, with each batch of events written in one transaction."""

import os
import time

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.events.log import EventLogEntry

from playlist_assets.instance_storage import BatchingSqliteEventLogStorage

PAGE = dg.AssetKey("clusters_page")


def materialization(run_id: str, partition: str) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="refresh_playlists",
        event_specific_data=StepMaterializationData(dg.AssetMaterialization(PAGE, partition=partition)),
    )
    return EventLogEntry(
        error_info=None, level=10, user_message="", run_id=run_id, timestamp=time.time(), dagster_event=event
    )


def check_result(run_id: str, partition: str, passed: bool = True) -> EventLogEntry:
    evaluation = dg.AssetCheckEvaluation(
        asset_key=PAGE, check_name="page_links_resolve", passed=passed, partition=partition, metadata={}
    )
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value,
        job_name="refresh_playlists",
        event_specific_data=evaluation,
    )
    return EventLogEntry(
        error_info=None, level=10, user_message="", run_id=run_id, timestamp=time.time(), dagster_event=event
    )


def logged_types(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [entry.dagster_event.event_type_value for entry in instance.all_logs(run_id)]


def stored_partitions(instance: dg.DagsterInstance) -> list[str]:
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=PAGE), limit=100, ascending=True).records
    return [record.partition_key for record in records]


def test_the_instance_of_the_tests_and_of_dagster_yaml_batches_its_events(instance):
    assert isinstance(instance._event_storage_impl, BatchingSqliteEventLogStorage)
    assert int(os.environ["DAGSTER_EVENT_BATCH_SIZE"]) >= 500  # a run's planned events for 100 playlists, in one


def test_a_batch_is_stored_whole_or_not_at_all(instance, monkeypatch):
    storage = instance._event_storage_impl
    run_id = instance.create_run_for_job(dg.GraphDefinition("empty").to_job()).run_id
    storage.store_event_batch([materialization(run_id, key) for key in ("a", "b", "c")])
    assert stored_partitions(instance) == ["a", "b", "c"]
    logged = instance.all_logs(run_id, DagsterEventType.ASSET_MATERIALIZATION)
    assert [entry.dagster_event.partition for entry in logged] == ["a", "b", "c"]  # in the run's database too

    original = BatchingSqliteEventLogStorage._store_asset_event

    def fail_on_e(self, conn, event, event_id):
        if event.dagster_event.partition == "e":
            raise RuntimeError("disk full")
        original(self, conn, event, event_id)

    monkeypatch.setattr(BatchingSqliteEventLogStorage, "_store_asset_event", fail_on_e)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.store_event_batch([materialization(run_id, key) for key in ("d", "e", "f")])
    assert stored_partitions(instance) == ["a", "b", "c"]  # neither d (before the error) nor f
    assert len(instance.all_logs(run_id, DagsterEventType.ASSET_MATERIALIZATION)) == 3

    storage.store_event(materialization(run_id, "g"))  # one event at a time still works, outside a batch
    assert stored_partitions(instance) == ["a", "b", "c", "g"]


def test_check_results_are_stored_with_the_runs_next_event_in_their_order(instance):
    storage = instance._event_storage_impl
    run_id = instance.create_run_for_job(dg.GraphDefinition("empty").to_job()).run_id
    storage.store_event(check_result(run_id, "a"))
    storage.store_event(check_result(run_id, "b", passed=False))
    assert logged_types(instance, run_id) == []  # held for the step's next event
    storage.store_event(materialization(run_id, "c"))
    check, mat = DagsterEventType.ASSET_CHECK_EVALUATION.value, DagsterEventType.ASSET_MATERIALIZATION.value
    assert logged_types(instance, run_id) == [check, check, mat]
    history = storage.get_asset_check_execution_history(dg.AssetCheckKey(PAGE, "page_links_resolve"), limit=10)
    statuses = {record.partition: record.status for record in history}
    assert statuses == {"a": AssetCheckExecutionRecordStatus.SUCCEEDED, "b": AssetCheckExecutionRecordStatus.FAILED}

    storage.store_event(check_result(run_id, "d"))
    storage.dispose()  # as when the run's process ends
    assert logged_types(instance, run_id) == [check, check, mat, check]
