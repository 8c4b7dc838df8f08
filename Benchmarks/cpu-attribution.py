#!/usr/bin/env python3
"""Where a running fast-receiver spends its CPU, from a sampling profile.

Record the server under load with the kernel's software clock (hardware sampling events are
not available in these VMs, cpu-clock is), then classify every sample:

    perf record -e cpu-clock -F 5000 -g -p "$(pgrep -f 'fast-receiver serve')" -o server.data -- sleep 4
    python3 Benchmarks/cpu-attribution.py server.data

Each sample goes to the first category, in the order below, that one of its frames matches,
so a socket read made inside OpenSSL counts as a socket read, and OpenSSL's own work as
OpenSSL. What matches nothing is FastReceiver's own code in user space. The share of each
thread is printed too (the worker, its journal sync thread, the segment preparer, ...).
"""
import collections
import subprocess
import sys

CATEGORIES = [
    ("fdatasync (group commit)", ["fdatasync", "do_fsync"]),
    ("journal write (copy into the page cache)", ["ksys_write", "__GI___libc_write", "__libc_write"]),
    ("socket send (and loopback delivery to the peer)", ["__sys_sendto", "__send"]),
    ("socket read", ["ksys_read", "sock_read_iter", "__sys_recvfrom"]),
    ("epoll_wait", ["do_epoll_wait", "epoll_wait"]),
    ("futex and eventfd wake-ups", ["futex", "eventfd"]),
    ("page faults", ["asm_exc_page_fault"]),
    ("OpenSSL libcrypto (HMAC, SHA-256, TLS record ciphers)", ["libcrypto"]),
    ("OpenSSL libssl (TLS)", ["libssl"]),
    ("other kernel (interrupts, scheduler)", ["[kernel.kallsyms]"]),
]
OWN_CODE = "FastReceiver's own code (parse, verify, dedupe, record)"


def classify(frames):
    for name, needles in CATEGORIES:
        if any(needle in frame for frame in frames for needle in needles):
            return name
    return OWN_CODE


def samples(path):
    """Yields (thread id, frames) for each sample of `perf script`."""
    text = subprocess.run(["perf", "script", "-i", path, "-F", "tid,ip,sym,dso"],
                          capture_output=True, text=True, check=True).stdout
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if lines:
            yield lines[0].split()[0], lines[1:]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    by_category, by_thread = collections.Counter(), collections.Counter()
    for thread, frames in samples(sys.argv[1]):
        by_category[classify(frames)] += 1
        by_thread[thread] += 1
    total = sum(by_category.values())
    if total == 0:
        sys.exit("no samples in " + sys.argv[1])
    for name, count in by_category.most_common():
        print(f"{100 * count / total:5.1f} %  {name}")
    print("threads: " + ", ".join(f"{tid} {100 * count / total:.1f} %" for tid, count in by_thread.most_common()))


if __name__ == "__main__":
    main()
