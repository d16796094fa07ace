"""Multi-process launch that also works without CUDA (gloo on CPU).

detectron2 v0.6's ``launch`` asserts CUDA and uses NCCL. Upstream detectron2 (its successor) chooses
gloo when there is no GPU; this module does the same so ``--num-gpus N`` on a CPU machine starts N
processes. With CUDA it defers to detectron2's own ``launch`` unchanged.
"""

import logging
import socket
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from detectron2.engine import launch as d2_launch
from detectron2.utils import comm

__all__ = ["launch"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = timedelta(minutes=30)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _set_local_group(world_size: int, procs_per_machine: int, machine_rank: int) -> None:
    # Every rank must create every group (collective call); keep the one of this machine, as detectron2
    # does. Upstream main has comm.create_local_process_group; v0.6 reads comm._LOCAL_PROCESS_GROUP.
    if hasattr(comm, "create_local_process_group"):
        comm.create_local_process_group(procs_per_machine)
        return
    for i in range(world_size // procs_per_machine):
        ranks = list(range(i * procs_per_machine, (i + 1) * procs_per_machine))
        group = dist.new_group(ranks)
        if i == machine_rank:
            comm._LOCAL_PROCESS_GROUP = group


def _cpu_worker(
    local_rank, main_func, world_size, procs_per_machine, machine_rank, dist_url, args, timeout
):
    rank = machine_rank * procs_per_machine + local_rank
    try:
        dist.init_process_group(
            backend="gloo", init_method=dist_url, world_size=world_size, rank=rank, timeout=timeout
        )
    except Exception:
        logger.error(
            "could not join the process group at %s (rank %d of %d)", dist_url, rank, world_size
        )
        raise
    _set_local_group(world_size, procs_per_machine, machine_rank)
    comm.synchronize()
    try:
        main_func(*args)
        # Every rank finishes before any closes its gloo connections: a rank that returned early (e.g.
        # an evaluator's non-main rank after the gather) would otherwise close pairs that a peer's gloo
        # threads still read, which can abort that peer (SIGABRT) at exit.
        comm.synchronize()
    finally:
        dist.destroy_process_group()


def launch(
    main_func,
    num_gpus_per_machine: int,
    num_machines: int = 1,
    machine_rank: int = 0,
    dist_url: str = None,
    args=(),
    timeout: timedelta = DEFAULT_TIMEOUT,
):
    """Run ``main_func(*args)`` in ``num_gpus_per_machine`` processes on each machine.

    Args:
        main_func: the function every process runs.
        num_gpus_per_machine: processes per machine (GPUs, or CPU workers when CUDA is unavailable).
        num_machines, machine_rank: multi-machine jobs, as in detectron2.
        dist_url: rendezvous, e.g. ``"tcp://127.0.0.1:29500"``; ``"auto"`` (or None on one machine)
            picks a free local port.
        args: arguments of ``main_func``.
        timeout: process-group timeout.
    """
    world_size = num_machines * num_gpus_per_machine
    if world_size <= 1 or torch.cuda.is_available():
        return d2_launch(
            main_func,
            num_gpus_per_machine,
            num_machines=num_machines,
            machine_rank=machine_rank,
            dist_url=dist_url,
            args=args,
            timeout=timeout,
        )
    if dist_url in (None, "auto"):
        if num_machines != 1:
            raise ValueError("dist_url='auto' works on one machine only; give tcp://HOST:PORT")
        dist_url = f"tcp://127.0.0.1:{_free_port()}"
    logger.info("launching %d CPU processes (gloo) at %s", num_gpus_per_machine, dist_url)
    mp.start_processes(
        _cpu_worker,
        nprocs=num_gpus_per_machine,
        args=(main_func, world_size, num_gpus_per_machine, machine_rank, dist_url, args, timeout),
        daemon=False,
        start_method="spawn",
    )
