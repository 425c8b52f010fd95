/* src/net/signals.h: process signals (SIGHUP, SIGTERM, SIGINT...) delivered as events on a loop.
 *
 * A signal handler can do almost nothing safely; a signalfd turns a signal into a readable descriptor,
 * so the main thread's loop handles SIGHUP ("reload": post a config swap to every worker) and SIGTERM
 * ("stop") as ordinary callbacks. The signals are blocked instead of handled, so net_signals_init must
 * run before any other thread starts: threads inherit the mask, and a thread that left a signal
 * unblocked would take it with its default action (SIGHUP and SIGTERM end the process). */
#ifndef SMT_NET_SIGNALS_H
#define SMT_NET_SIGNALS_H

#include <signal.h>
#include <stddef.h>

#include "base/err.h"
#include "net/loop.h"

/* net_signals_fn gets one signal number per signal received (a signal raised twice before the loop
 * looked may be reported once, as the kernel merges pending standard signals). */
typedef void (*net_signals_fn)(struct net_loop *loop, int signal_number, void *arg);

/* struct net_signals: caller storage; fields are the module's. */
struct net_signals {
        struct net_loop *loop;      /* NULL when not initialised */
        struct net_watcher watcher; /* on the signalfd */
        sigset_t previous_mask;     /* the calling thread's mask before net_signals_init */
        net_signals_fn callback;
        void *arg;
};

/* net_signals_init blocks the num_signals signals in the calling thread and reports each one received
 * as callback(loop, signal_number, arg) on loop. SMT_EINVAL for no or an invalid signal number (SIGKILL
 * and SIGSTOP cannot be caught); SMT_EIO when signalfd or the loop refuses. On failure nothing changed. */
int net_signals_init(struct net_signals *signals, struct net_loop *loop, const int *signal_numbers, size_t num_signals,
                     net_signals_fn callback, void *arg, struct err *err) SMT_MUST_USE;

/* net_signals_cleanup stops watching, closes the signalfd and restores the calling thread's signal mask
 * (a signal still pending then gets its usual disposition). A no-op on a zeroed struct, after a failed
 * init, or when called twice. */
void net_signals_cleanup(struct net_signals *signals);

#endif
