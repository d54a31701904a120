#!/usr/bin/env python3
"""Draws benches/growth.sh's CSV: messages/s and p99 against the tickets already stored.

    python3 benches/growth_chart.py growth.csv assets/benchmarks/growth.png

Needs matplotlib (Debian: python3-matplotlib).
"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(source, target):
    with open(source, newline="") as f:
        rows = list(csv.DictReader(f))
    tickets = [int(r["tickets"]) / 1000 for r in rows]
    fig, (rate, p99) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for key, label in (("stored", "a new chat every 10 messages"), ("new_chat", "every message a new chat")):
        rate.plot(tickets, [float(r[f"{key}_per_s"]) for r in rows], marker="o", label=label)
        p99.plot(tickets, [float(r[f"{key}_p99_ms"]) for r in rows], marker="o", label=label)
    rate.set(title="Stored messages per second", xlabel="tickets already stored (thousands)", ylabel="messages/s")
    p99.set(title="p99 latency", xlabel="tickets already stored (thousands)", ylabel="ms")
    for ax in (rate, p99):
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left")
    waiting = ", ".join(f'{int(r["tickets"]) // 1000}k: {int(r["waiting"]):,}' for r in rows)
    fig.suptitle(f"SQLite, 2 cores, 32 connections (chats waiting at each step: {waiting})", fontsize=9)
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
