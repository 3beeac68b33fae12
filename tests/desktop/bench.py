#!/usr/bin/env python3
"""Desktop bench: startup time and idle memory (PSS of all processes) of Paydesk against a bare
Tauri window built with the same crates and profile, measured in the same run; then memory growth
after 1,000 simulated payments (demo mode, target <= 10 %).

Run under Xvfb (tests/desktop/bench.sh does): bench.py APP BARE [--payments N] [--json FILE]
"""
import argparse, json, os, re, subprocess, sys, time

def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out

def tree(pid):
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children(p)
    return seen

def pss_kib(pid):
    """PSS of a process and all its descendants (WebKit's web and network processes), KiB."""
    total, procs = 0, []
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                m = re.search(r"^Pss:\s+(\d+) kB", f.read(), re.M)
            kib = int(m.group(1)) if m else 0
            with open(f"/proc/{p}/comm") as f:
                procs.append(f"{f.read().strip()} {kib / 1024:.0f}")
            total += kib
        except OSError:
            pass
    return total, procs

def window_mapped(name, timeout):
    r = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", name], capture_output=True, text=True, timeout=timeout)
    return r.stdout.split()

def start(cmd, name, env):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wins = window_mapped(name, 60)
    return p, time.monotonic() - t0, wins

def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("app"); ap.add_argument("bare")
    ap.add_argument("--payments", type=int, default=1000)
    ap.add_argument("--settle", type=float, default=8.0, help="seconds of idle before measuring")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    env = dict(os.environ, RUST_LOG="warn")
    res = {"bare": {}, "paydesk": {}}

    for key, cmd, name in [("bare", [a.bare], "bare-tauri-window"), ("paydesk", [a.app, "--demo", "--no-customer-display"], "Paydesk")]:
        times = []
        for _ in range(a.runs):
            p, dt, _ = start(cmd, name, env)
            times.append(dt)
            stop(p)
        p, dt, _ = start(cmd, name, env)
        time.sleep(a.settle)
        pss, procs = pss_kib(p.pid)
        stop(p)
        res[key] = {"startup_s": sorted(times)[len(times) // 2], "startup_all_s": times, "idle_pss_mib": pss / 1024, "processes": procs}
        print(f"{key:8} startup {res[key]['startup_s']:.2f} s (median of {a.runs}), idle PSS {pss/1024:.0f} MiB over {len(procs)} processes ({', '.join(procs)} MiB)", flush=True)

    # Memory after N payments: the cashier window is logged in and receives every event.
    cmd = [a.app, "--demo", "--no-customer-display"]
    env2 = dict(env, PAYDESK_BENCH_PAYMENTS=str(a.payments), PAYDESK_BENCH_DELAY_SECS=str(int(a.settle) + 4))
    p, dt, wins = start(cmd, "Paydesk", env2)
    time.sleep(2)
    if wins:  # log in as the first user on the login screen (the owner, PIN 999999)
        subprocess.run(["xdotool", "windowfocus", "--sync", wins[0]], capture_output=True)
        subprocess.run(["xdotool", "type", "--delay", "50", "999999\n"], capture_output=True)
    time.sleep(max(0.0, a.settle - 2))
    before, _ = pss_kib(p.pid)
    t0 = time.monotonic()
    line = ""
    while "bench:" not in line:
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            sys.exit("app exited before the bench finished")
    took = time.monotonic() - t0
    time.sleep(a.settle)
    after, _ = pss_kib(p.pid)
    stop(p)
    growth = (after - before) / before * 100
    res["payments"] = {"n": a.payments, "report": line.strip(), "pss_before_mib": before / 1024, "pss_after_mib": after / 1024, "growth_pct": growth, "seconds": took}
    print(f"payments {line.strip()}; PSS {before/1024:.0f} → {after/1024:.0f} MiB ({growth:+.1f} %, limit +10 %)", flush=True)
    over = res["paydesk"]["idle_pss_mib"] - res["bare"]["idle_pss_mib"]
    mem_ratio = res["paydesk"]["idle_pss_mib"] / res["bare"]["idle_pss_mib"]
    start_ratio = res["paydesk"]["startup_s"] / res["bare"]["startup_s"]
    res["ratios"] = {"idle_pss": mem_ratio, "startup": start_ratio}
    print(f"paydesk vs bare: startup {res['paydesk']['startup_s'] - res['bare']['startup_s']:+.2f} s, idle PSS {over:+.0f} MiB", flush=True)
    print(f"ratios: idle PSS {mem_ratio:.2f}x the bare window (goal <= 1.3x: {'met' if mem_ratio <= 1.3 else 'NOT met'}), "
          f"window ready {start_ratio:.2f}x (goal <= 1.5x: {'met' if start_ratio <= 1.5 else 'NOT met'}), "
          f"growth after {a.payments} payments {growth:+.1f} % (goal <= +10 %: {'met' if growth <= 10 else 'NOT met'})", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    if growth > 10:
        sys.exit(f"memory grew {growth:.1f} % after {a.payments} payments (limit 10 %)")

if __name__ == "__main__":
    main()
