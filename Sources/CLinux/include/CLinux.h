// Linux system calls that Glibc's Swift module does not expose (epoll, eventfd, signalfd,
// CPU affinity), behind small prefixed functions. The header needs nothing but <stdint.h>, so
// it cannot clash with Glibc's module; CLinux.c holds the implementations.
#ifndef FAST_RECEIVER_CLINUX_H
#define FAST_RECEIVER_CLINUX_H

#include <stdint.h>

/// The number of CPUs this process may run on (sched_getaffinity), or 0 if unknown.
int fr_available_cpus(void);

/// epoll_create1(EPOLL_CLOEXEC).
int fr_epoll_create(void);
/// epoll_ctl with `events` and a 64-bit token.
int fr_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token);
/// epoll_wait; writes up to `capacity` (≤ 256) events and their tokens into the two arrays.
int fr_epoll_wait(int epfd, uint32_t *events, uint64_t *tokens, int capacity, int timeout_ms);

extern const uint32_t FR_EPOLLIN;
extern const uint32_t FR_EPOLLOUT;
extern const uint32_t FR_EPOLLERR;
extern const uint32_t FR_EPOLLHUP;
extern const uint32_t FR_EPOLLRDHUP;
extern const int FR_EPOLL_CTL_ADD;
extern const int FR_EPOLL_CTL_MOD;
extern const int FR_EPOLL_CTL_DEL;

/// accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC).
int fr_accept(int fd);

/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int fr_eventfd(void);

/// timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC).
int fr_timerfd_create(void);
/// Arms a timerfd to fire once at `deadline_ns` on CLOCK_MONOTONIC (absolute); 0 disarms it.
int fr_timerfd_arm(int fd, uint64_t deadline_ns);
/// Reads a timerfd's expiry count, clearing it; 0 when it has not fired.
uint64_t fr_timerfd_read(int fd);

/// Gives SIGTERM, SIGINT, SIGHUP and SIGPIPE their default action and blocks no signal in the
/// calling thread, whatever the parent left; 0, or -1 with errno set.
int fr_signals_restore_defaults(void);
/// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and threads it creates later) and
/// returns a signalfd that reports the three; -1 on failure.
int fr_signalfd_for_lifecycle(void);
/// Reads one signal number from such a signalfd; 0 when none is pending, -1 on error.
int fr_signalfd_read(int fd);

/// Makes the calling thread background work: SCHED_IDLE for the CPU and the idle I/O class, so
/// it only runs (and only does I/O) when nothing else wants to. Returns 0, or -1 if neither took.
int fr_become_background_thread(void);

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit, or -1.
long fr_raise_nofile_limit(void);

#endif
