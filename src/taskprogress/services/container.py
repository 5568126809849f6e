"""All services of one server, built once at start-up over one store and passed down explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from taskprogress.core.agent_access import AgentAccess
from taskprogress.jobs import JobRegistry, builtin_registry
from taskprogress.services.agent_reports import AgentReports
from taskprogress.services.api_jobs import ApiJob, ApiJobs
from taskprogress.services.configs import GlobalConfigs
from taskprogress.services.identity import Identity
from taskprogress.services.job_runner import JobRunner, RunnerSettings
from taskprogress.services.long_jobs import LongJobs
from taskprogress.services.progress import ProgressQueries
from taskprogress.store import Store


@dataclass(frozen=True)
class Services:
    store: Store
    identity: Identity
    jobs: ApiJobs
    progress: ProgressQueries
    configs: GlobalConfigs
    agent_reports: AgentReports
    long_jobs: LongJobs  # its ``runner`` is started and closed by the server

    @classmethod
    def build(
        cls,
        store: Store,
        *,
        job_workers: int = 4,
        on_job_finished: Callable[[ApiJob], None] | None = None,
        agent_access: AgentAccess | None = None,
        job_registry: JobRegistry | None = None,
        runner_settings: RunnerSettings | None = None,
    ) -> Services:
        registry = job_registry if job_registry is not None else builtin_registry()
        return cls(
            store,
            Identity(store),
            ApiJobs(store, workers=job_workers, on_finished=on_job_finished),
            ProgressQueries(store),
            GlobalConfigs(store),
            AgentReports(store, agent_access or AgentAccess()),
            LongJobs(store, registry, JobRunner(store, registry, runner_settings)),
        )
