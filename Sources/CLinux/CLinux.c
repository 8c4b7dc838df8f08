#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <unistd.h>

int fr_available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}

int fr_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int fr_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &event);
}

int fr_epoll_wait(int epfd, uint32_t *events, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event buffer[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, buffer, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i] = buffer[i].events;
        tokens[i] = buffer[i].data.u64;
    }
    return count;
}

const uint32_t FR_EPOLLIN = EPOLLIN;
const uint32_t FR_EPOLLOUT = EPOLLOUT;
const uint32_t FR_EPOLLERR = EPOLLERR;
const uint32_t FR_EPOLLHUP = EPOLLHUP;
const uint32_t FR_EPOLLRDHUP = EPOLLRDHUP;
const int FR_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int FR_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int FR_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

int fr_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int fr_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int fr_timerfd_create(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int fr_timerfd_arm(int fd, uint64_t deadline_ns) {
    struct itimerspec spec = {0};
    spec.it_value.tv_sec = (time_t)(deadline_ns / 1000000000u);
    spec.it_value.tv_nsec = (long)(deadline_ns % 1000000000u);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

uint64_t fr_timerfd_read(int fd) {
    uint64_t expirations = 0;
    if (read(fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations)) return 0;
    return expirations;
}

int fr_signals_restore_defaults(void) {
    const int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE};
    struct sigaction action = {0};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (unsigned i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
        if (sigaction(handled[i], &action, NULL) != 0) return -1;
    }
    // Dispositions first: a signal left pending by the parent's mask now acts as it should.
    sigset_t none;
    sigemptyset(&none);
    int error = pthread_sigmask(SIG_SETMASK, &none, NULL);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}

int fr_signalfd_for_lifecycle(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_CLOEXEC);
}

int fr_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof(info));
    if (n != (ssize_t)sizeof(info)) return n < 0 ? -1 : 0;
    return (int)info.ssi_signo;
}

int fr_become_background_thread(void) {
    struct sched_param param = {0};
    int cpu = sched_setscheduler(0, SCHED_IDLE, &param);
    // ioprio_set(IOPRIO_WHO_PROCESS, this thread, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0))
    int io = (int)syscall(SYS_ioprio_set, 1, 0, 3 << 13);
    return cpu == 0 || io == 0 ? 0 : -1;
}

long fr_raise_nofile_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    }
    return (long)limit.rlim_cur;
}
