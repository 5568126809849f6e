"""A long job as ZStack's ``LongJobInventory``: the ``LongJobVO`` columns, dates in ZStack's format, nulls left out."""

from __future__ import annotations

from typing import Any

from taskprogress.rest.wire import zstack_date
from taskprogress.services.long_job_records import LongJob

LONG_JOB_CLASS = "org.zstack.header.longjob.LongJobInventory"
LONG_JOB_FIELDS = frozenset(
    {
        "uuid",
        "name",
        "description",
        "apiId",
        "jobName",
        "jobData",
        "jobResult",
        "state",
        "targetResourceUuid",
        "managementNodeUuid",
        "createDate",
        "lastOpDate",
        "executeTime",
    }
)


def long_job_inventory(job: LongJob) -> dict[str, Any]:
    inventory: dict[str, Any] = {
        "uuid": job.uuid,
        "name": job.name,
        "description": job.description,
        "apiId": job.api_id,
        "jobName": job.job_name,
        "jobData": job.job_data,
        "jobResult": job.job_result,
        "state": job.state.value,
        "targetResourceUuid": job.target_resource_uuid,
        "managementNodeUuid": job.management_node_uuid,
        "createDate": zstack_date(job.created_at),
        "lastOpDate": zstack_date(job.updated_at),
        "executeTime": job.execute_time,
    }
    return {key: value for key, value in inventory.items() if value is not None}  # Gson leaves nulls out
