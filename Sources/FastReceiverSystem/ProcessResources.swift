internal import CLinux

/// What this process may use of the machine, and the calls that adjust it.
public enum ProcessResources {
    /// The CPUs this process may run on (`sched_getaffinity`), at least 1.
    public static var availableCPUs: Int { max(Int(fr_available_cpus()), 1) }

    /// Raises the soft limit on open descriptors to the hard limit, so that the connection cap,
    /// not the default 1024, decides how many clients are served.
    /// - Returns: the soft limit now, or nil when it cannot be read or raised.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int? {
        let limit = fr_raise_nofile_limit()
        return limit >= 0 ? limit : nil
    }

    /// Makes the calling thread background work: the idle CPU scheduling class and the idle I/O
    /// class, so it runs (and does I/O) only when nothing else wants to.
    /// - Returns: false when neither could be set.
    @discardableResult
    public static func makeCurrentThreadBackground() -> Bool {
        fr_become_background_thread() == 0
    }
}
