/* src/net/signals.c: signals read from a signalfd (signalfd(2)) watched on a loop. */
#include "net/signals.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Reads every queued signal: a level-triggered watcher would be called again anyway, but one call per
 * burst is cheaper. */
static void net_signals_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)events;
        struct net_signals *signals = arg;
        struct signalfd_siginfo info;
        for (;;) {
                ssize_t got = read(watcher->fd, &info, sizeof info);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got != (ssize_t)sizeof info)
                        return; /* EAGAIN: nothing more; a short read cannot happen for signalfd */
                signals->callback(loop, (int)info.ssi_signo, signals->arg);
        }
}

static int net_signals_make_set(sigset_t *set, const int *signal_numbers, size_t num_signals, struct err *err)
{
        if (num_signals == 0)
                return SMT_ERR(err, SMT_EINVAL, "net_signals_init: no signal to watch");
        sigemptyset(set);
        for (size_t i = 0; i < num_signals; i++) {
                int number = signal_numbers[i];
                if (number == SIGKILL || number == SIGSTOP || sigaddset(set, number) < 0)
                        return SMT_ERR(err, SMT_EINVAL, "net_signals_init: signal %d cannot be watched", number);
        }
        return SMT_OK;
}

int net_signals_init(struct net_signals *signals, struct net_loop *loop, const int *signal_numbers, size_t num_signals,
                     net_signals_fn callback, void *arg, struct err *err)
{
        memset(signals, 0, sizeof *signals);
        sigset_t set;
        TRY(net_signals_make_set(&set, signal_numbers, num_signals, err));
        int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
                return SMT_ERR(err, SMT_EIO, "signalfd: %s", strerror(errno));
        int error = pthread_sigmask(SIG_BLOCK, &set, &signals->previous_mask);
        if (error != 0) {
                close(fd);
                return SMT_ERR(err, SMT_EIO, "pthread_sigmask: %s", strerror(error));
        }
        signals->callback = callback;
        signals->arg = arg;
        net_watcher_init(&signals->watcher, fd, net_signals_ready, signals);
        int status = net_loop_watch(loop, &signals->watcher, NET_LOOP_READ, err);
        if (status < 0) {
                pthread_sigmask(SIG_SETMASK, &signals->previous_mask, NULL);
                close(fd);
                return status;
        }
        signals->loop = loop;
        return SMT_OK;
}

void net_signals_cleanup(struct net_signals *signals)
{
        if (signals->loop == NULL)
                return;
        net_loop_unwatch(signals->loop, &signals->watcher);
        close(signals->watcher.fd);
        pthread_sigmask(SIG_SETMASK, &signals->previous_mask, NULL);
        signals->loop = NULL;
}
