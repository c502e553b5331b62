"""A Dask cluster as the place where an audit's units run (`--scheduler tcp://host:8786`).

The per-unit work (`pipeline.audit_unit`) is submitted through Dask's `concurrent.futures` executor;
results come back to the one writer on this machine. Workers need the package installed and read
access to the documents under the same paths (relative paths are resolved against this machine's
working folder). Dask is an optional dependency: `pip install "citation-auditor[cluster]"`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from auditor.errors import AuditorError

CONNECT_TIMEOUT = "20s"


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A client of the scheduler at `address`; a clear error when Dask is missing or nobody answers."""
    try:
        from distributed import Client
    except ImportError:
        raise AuditorError("--scheduler needs Dask: pip install \"citation-auditor[cluster]\" "
                           "(dask and distributed)") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise AuditorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


def check_urls_on_cluster(tasks: list[Any], policy: Any, limits: Any, address: str,
                          progress: Any = None) -> dict[str, Any]:
    """Check links on the cluster, sharded by host: every URL of a host goes to the same worker task, so
    the per-host limit holds across workers; the global limit is divided among the shards."""
    from dataclasses import replace

    from auditor.linkcheck.engine import check_shard, shard_by_host

    records: dict[str, Any] = {}
    with connect(address) as client:
        workers = max(1, sum(client.nthreads().values()))
        groups = shard_by_host(tasks, workers)
        share = replace(limits, concurrency=max(limits.per_host, limits.concurrency // max(1, len(groups))))
        executor = client.get_executor(pure=False)
        futures = [executor.submit(check_shard, g, policy, share) for g in groups]
        for group, future in zip(groups, futures, strict=True):
            records.update(future.result())
            if progress:
                for task in group:
                    progress(task.key, None)
    return records
