"""First-call and warm cost of a peer's call, measured as the osprey drivers measure theirs
(bench/compare/call_stats.hpp): wall time, minor page faults and peak RSS from getrusage.

`in_fresh_process(fn, *args)` runs `fn(*args)` in a new interpreter (multiprocessing "spawn"):
the peer then pays for fresh memory on its first call as a batch job would, as the osprey driver
does in its own process. `fn` must be a module-level function that returns `measure(...)`.
"""
import multiprocessing
import resource
import time
import traceback


def _peak_rss_mib():
    """VmHWM of /proc/self/status (ru_maxrss survives exec, so it can report a parent's peak)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _usage():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt, _peak_rss_mib()


def measure(call, repeats):
    """Calls `call()` `repeats` times (at least 2); returns a dict of first and warm figures and
    the last call's result."""
    calls, result = [], None
    for _ in range(max(repeats, 2)):
        f0, _ = _usage()
        t0 = time.perf_counter()
        result = call()
        t = time.perf_counter() - t0
        f1, rss = _usage()
        calls.append((t, f1 - f0, rss))
    tail = sorted(calls[len(calls) // 2:])
    warm = tail[len(tail) // 2]
    return {"first_s": calls[0][0], "first_faults": calls[0][1], "warm_s": warm[0],
            "warm_faults": warm[1], "rss_mib": max(c[2] for c in calls), "result": result}


def _run_child(conn, fn, args):
    try:
        conn.send((True, fn(*args)))
    except BaseException:  # noqa: B902 (reported to the parent, which raises)
        conn.send((False, traceback.format_exc()))
    finally:
        conn.close()


def in_fresh_process(fn, *args):
    """fn(*args) in a fresh interpreter; returns what it returns (it must pickle). The child is an
    ordinary process, not a pool's daemon worker: joblib (scikit-learn's n_jobs) refuses its
    process pools in a daemon and falls back to one job, which would time the peer on one core."""
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_run_child, args=(send, fn, args))
    child.start()
    send.close()
    try:
        ok, value = recv.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"fresh process ended without a result (exit code {child.exitcode})")
    finally:
        recv.close()
    child.join()
    if not ok:
        raise RuntimeError(f"in the fresh process:\n{value}")
    return value


def parse_calls(text):
    """The "calls NAME first_s first_faults warm_s warm_faults rss" lines of an osprey driver."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 7 and f[0] == "calls":
            out[f[1]] = {"first_s": float(f[2]), "first_faults": int(f[3]),
                         "warm_s": float(f[4]), "warm_faults": int(f[5]), "rss_mib": float(f[6])}
    return out


# Time units of the table: scale from seconds, and decimals.
_UNITS = {"s": (1.0, 4), "ms": (1e3, 3), "us": (1e6, 2)}


def header(unit="s"):
    """The table's header, times in `unit` ("s", "ms" or "us")."""
    return (f"| implementation | first call ({unit}) | faults | warm call ({unit}) | faults | "
            "first / warm | peak RSS (MiB) | peer first / osprey first | "
            "peer warm / osprey warm |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|")


HEADER = header()


def row(name, st, peer=None, unit="s"):
    """One table row, times in `unit` (as header(unit)); `peer` (a measure() dict) adds the two
    ratio columns."""
    scale, digits = _UNITS[unit]
    ratios = "| |"
    if peer is not None:
        ratios = (f"{peer['first_s'] / st['first_s']:.1f}x | "
                  f"{peer['warm_s'] / st['warm_s']:.1f}x |")
    return (f"| {name} | {st['first_s'] * scale:.{digits}f} | {st['first_faults']:,} | "
            f"{st['warm_s'] * scale:.{digits}f} | {st['warm_faults']:,} | "
            f"{st['first_s'] / st['warm_s']:.2f} | {st['rss_mib']:.0f} | " + ratios)


def print_table(caption, rows, unit="s"):
    """Prints a blank line, `caption`, and the table of `rows`: (name, stats, peer stats or
    None) triples, times in `unit`."""
    print()
    print(caption)
    print()
    print(header(unit))
    for name, st, peer in rows:
        print(row(name, st, peer, unit))
