"""B5's SMTP sink: accepts everything after 1-5 ms, and answers 2% of messages with
`451` (QUALITY.md note on B5: a sink that replies at once flatters the sender). Counts
nothing and stores nothing: the sender side counts what was accepted.

`python -m bench.b5_sink PORT [SEED]` serves until killed.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time

from aiosmtpd.controller import Controller

LATENCY = (0.001, 0.005)
TEMPORARY_SHARE = 0.02


class SlowSometimesBusy:
    def __init__(self, seed: int = 5) -> None:
        self.random = random.Random(seed)

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(self.random.uniform(*LATENCY))
        if self.random.random() < TEMPORARY_SHARE:
            return "451 4.3.0 Busy, try again later"
        return "250 Message accepted"


def main(argv: list[str]) -> int:
    port = int(argv[0])
    seed = int(argv[1]) if len(argv) > 1 else 5
    controller = Controller(SlowSometimesBusy(seed), hostname="127.0.0.1", port=port,
                            server_hostname="b5-sink")
    controller.start()
    try:
        while True:  # until the harness kills us
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
