"""Runs every benchmark: `make bench` (or `python -m bench [name ...]`)."""

from __future__ import annotations

import sys

from bench import (
    asof_bench,
    board_bench,
    command_path_bench,
    export_bench,
    fanout_bench,
    ingest_bench,
    lag_bench,
    memory_bench,
    merkle_bench,
    notify_bench,
    policy_bench,
    replay_bench,
    scaleout_bench,
    startup_bench,
    store_bench,
    storm_bench,
    token_bench,
)

BENCHES = {
    "store": store_bench.main,
    "commands": command_path_bench.main,
    "boards": board_bench.main,
    "fanout": fanout_bench.main,
    "replay": replay_bench.main,
    "storm": storm_bench.main,
    "policies": policy_bench.main,
    "tokens": token_bench.main,
    "ingest": ingest_bench.main,
    "lag": lag_bench.main,
    "memory": memory_bench.main,
    "scaleout": scaleout_bench.main,
    "startup": startup_bench.main,
    "merkle": merkle_bench.main,
    "export": export_bench.main,
    "notify": notify_bench.main,
    "asof": asof_bench.main,
}


def main(argv: list[str]) -> None:
    for name in argv or list(BENCHES):
        BENCHES[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
