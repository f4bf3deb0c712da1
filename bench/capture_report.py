"""``bench.capture_cpu``'s report: the means over its repeats (``summary``, the ``--json``
output's ``summary``) and the table it prints, with the issue's targets and goal lines."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

from bench.capture_floor import floor_lines
from bench.vnc_servers import goal_lines

TARGETS = {"typing": 0.6, "scroll": 12.0, "drag": 17.0, "idle": 0.3}  #: % of one core
#: the issue's polling figures on its machine: each target as a share of polling's CPU,
#: to apply to this run's polling baseline
ISSUE_POLLING = {"typing": 13.0, "scroll": 22.1, "drag": 30.1, "idle": 2.3}


def summary(r: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Means over the repeats: customer and Xvfb CPU per mode, Xvfb's extra load."""
    out: dict[str, dict[str, float]] = {}
    for name, per_mode in r["workloads"].items():

        def mean(mode: str, key: str, per_mode: dict[str, Any] = per_mode) -> float:
            values = [w[key] for w in per_mode[mode] if key in w]
            return statistics.fmean(values) if values else float("nan")

        xvfb_alone = mean("none", "xvfb_cpu_pct")
        row: dict[str, float] = {"xvfb_alone": xvfb_alone}
        for mode in ("poll", "damage"):
            row[f"{mode}_customer"] = mean(mode, "customer_cpu_pct")
            row[f"{mode}_customer_sched"] = mean(mode, "customer_sched_pct")
            row[f"{mode}_xvfb_extra"] = mean(mode, "xvfb_cpu_pct") - xvfb_alone
            row[f"{mode}_mbit_s"] = mean(mode, "mbit_s")
            row[f"{mode}_fps"] = mean(mode, "fps")
            row[f"{mode}_exact"] = min(w["exact"] for w in per_mode[mode])
            row |= _reads(mode, mean)
            names = {k for w in per_mode[mode] for k in w if k.startswith("thread ")}
            for key in names:
                row[f"{mode} {key}"] = mean(mode, key)
        for server in [*r.get("vnc", []), *r.get("floor", []), *_copy(r)]:
            if server not in per_mode:  # (a floor runs on typing and idle only)
                continue
            if server == "copy":
                row["copy_fps"] = mean(server, "fps")
                row["copy_exact"] = min(w["exact"] for w in per_mode[server])
            row[f"{server}_customer"] = mean(server, "customer_cpu_pct")
            row[f"{server}_customer_sched"] = mean(server, "customer_sched_pct")
            row[f"{server}_xvfb_extra"] = mean(server, "xvfb_cpu_pct") - xvfb_alone
            row[f"{server}_mbit_s"] = mean(server, "mbit_s")
            row |= _reads(server, mean)
        row |= _reads("none", mean)
        out[name] = row
    return out


def _copy(r: dict[str, Any]) -> list[str]:
    return ["copy"] if r.get("copy") else []


def copy_lines(summary: dict[str, dict[str, float]]) -> list[str]:
    """The copy-following capture (``--copy``) beside the damage capture, same run."""
    lines = ["copy capture (--capture copy) | damage: customer CPU %, Xvfb extra CPU %, "
             "Mbit/s, fps, exact:"]  # fmt: skip
    for workload, row in summary.items():
        if "copy_customer" not in row:
            continue
        lines.append(
            f"  {workload}: customer {row['copy_customer']:.2f} | {row['damage_customer']:.2f}"
            f"; Xvfb extra {row['copy_xvfb_extra']:.2f} | {row['damage_xvfb_extra']:.2f}"
            f"; {row['copy_mbit_s']:.3f} | {row['damage_mbit_s']:.3f} Mbit/s"
            f"; {row['copy_fps']:.1f} | {row['damage_fps']:.1f} fps"
            f"; exact {'yes' if row['copy_exact'] else 'NO'}"
        )
    return lines


def _reads(mode: str, mean: Callable[[str, str], float]) -> dict[str, float]:
    """``mode``'s image reads a second and megapixels read a second (``--reads``)."""
    if math.isnan(mean(mode, "reads_per_s")):
        return {}
    return {f"{mode}_reads_per_s": mean(mode, "reads_per_s"),
            f"{mode}_read_mpx_s": mean(mode, "read_mpx_s")}  # fmt: skip


def read_lines(summary: dict[str, dict[str, float]], modes: list[str]) -> list[str]:
    """Each capturer's image reads (``--reads``) beside Xvfb's extra load: the extra per
    megapixel read tells a cheaper read from fewer of them."""
    lines = ["image reads Xvfb ran (reads/s | Mpx/s | Xvfb extra ms per Mpx read):"]
    for workload, row in summary.items():
        cells = []
        for mode in modes:
            if f"{mode}_reads_per_s" not in row:
                continue
            mpx = row[f"{mode}_read_mpx_s"]
            extra = row.get(f"{mode}_xvfb_extra", float("nan"))
            # (% of a core is 10 ms of CPU a second)
            per = f"{10 * extra / mpx:.2f}" if mpx > 0 else "-"
            cells.append(f"{mode} {row[f'{mode}_reads_per_s']:.1f} | {mpx:.2f} | {per}")
        lines.append(f"  {workload}: " + "; ".join(cells))
    return lines


def table(r: dict[str, Any]) -> str:
    s = summary(r)
    head = (
        f"{'workload':<9}{'customer CPU %':>22}{'Xvfb extra CPU %':>22}{'Mbit/s':>16}"
        f"{'fps':>12}{'target':>9}  exact  {'schedstat %':>16}"
    )
    sub = f"{'':<9}{'poll':>11}{'damage':>11}{'poll':>11}{'damage':>11}{'poll':>8}{'damage':>8}"
    sub += f"{'poll':>6}{'damage':>6}{'':>16}{'poll':>8}{'damage':>8}"
    lines = [head, sub]
    for name, row in s.items():
        exact = "yes" if row["poll_exact"] and row["damage_exact"] else "NO"
        lines.append(
            f"{name:<9}{row['poll_customer']:>11.2f}{row['damage_customer']:>11.2f}"
            f"{row['poll_xvfb_extra']:>11.2f}{row['damage_xvfb_extra']:>11.2f}"
            f"{row['poll_mbit_s']:>8.3f}{row['damage_mbit_s']:>8.3f}"
            f"{row['poll_fps']:>6.1f}{row['damage_fps']:>6.1f}"
            f"{'<= ' + format(TARGETS.get(name, float('nan')), 'g'):>9}  {exact:<5}"
            f"{row['poll_customer_sched']:>8.2f}{row['damage_customer_sched']:>8.2f}"
        )
    lines.append("")
    lines.append(
        f"screen {r['screen']}, wallpaper {r['wallpaper']}, {r['seconds']:g} s windows, "
        f"{r['repeats']} repeats, interleaved (none/poll/damage, reversed each repeat); "
        "CPU % of one core from utime+stime (schedstat: the same in ns, live threads); "
        "Xvfb extra = with the customer minus without"
        + (f"; {r['python']}" if r.get("python") else "")
    )
    lines.append("")
    lines.append("customer CPU % by thread (schedstat), poll | damage:")
    for name, row in s.items():
        threads = sorted(
            {k.split(" ", 2)[2] for k in row if k.startswith(("poll thread ", "damage thread "))}
        )
        cells = [
            f"{t} {row.get(f'poll thread {t}', 0.0):.2f}|{row.get(f'damage thread {t}', 0.0):.2f}"
            for t in threads
            if max(row.get(f"poll thread {t}", 0.0), row.get(f"damage thread {t}", 0.0)) >= 0.01
        ]
        lines.append(f"  {name}: " + ", ".join(cells))
    lines.append("")
    if r.get("vnc"):
        lines += [*goal_lines(s, r["vnc"]), ""]
    if r.get("floor"):
        lines += [*floor_lines(s, r["floor"]), ""]
    if r.get("copy"):
        lines += [*copy_lines(s), ""]
    if r.get("reads"):
        modes = ["poll", "damage", *_copy(r), *r.get("vnc", []), *r.get("floor", [])]
        lines += [*read_lines(s, modes), ""]
    for name, row in s.items():
        if name in TARGETS:
            met = row["damage_customer"] <= TARGETS[name]
            share = TARGETS[name] / ISSUE_POLLING[name]
            relative = share * row["poll_customer"]
            # (as printed: CPU is read in 10 ms ticks, see goal_lines)
            below = round(row["damage_xvfb_extra"], 2) < round(row["poll_xvfb_extra"], 2)
            lines.append(
                f"target {name} customer CPU {row['damage_customer']:.2f} % <= {TARGETS[name]:g}:"
                f" {'meets' if met else 'MISSES'}; as the issue's share of polling "
                f"({share:.3f} x {row['poll_customer']:.2f} = {relative:.2f}): "
                f"{'meets' if row['damage_customer'] <= relative else 'MISSES'}; "
                f"Xvfb extra {row['damage_xvfb_extra']:.2f} "
                f"vs polling's {row['poll_xvfb_extra']:.2f}: "
                f"{'below' if below else 'NOT below'}"
            )
    return "\n".join(lines)
