package org.phoenixcast.linux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform thread ("castd-mntns") that enters containers' mount namespaces. It did
 * unshare(CLONE_FS) first, so setns(CLONE_NEWNS) changes only its own root and cwd; every
 * other JVM thread stays in the host's mount namespace (tested).
 *
 * <p>Contract for tasks: while inside a container, a task makes system calls only. Resolving
 * a path by name there resolves in the guest's file system (the guest controls what it
 * finds), and loading a class from a directory class path fails or reads guest files. So the
 * owner must run every task body once through {@link #inside} with {@link #hostNamespace()}
 * before real use (warm-up), tasks must not log, and must not build strings on paths that
 * warm-up did not take. The host namespace is always re-entered in a finally block.
 *
 * <p>Stalls: a guest controls its file systems, so a lookup can block for ever (a FUSE mount
 * whose daemon never answers). A caller waits at most {@code timeoutMillis}. Then the stuck
 * thread is set aside ("stalled": it may still be inside the guest's namespace, so it never
 * runs another task and ends once its system call returns) and the next task starts a fresh
 * thread, so one guest cannot stop castd from serving the others. While a stalled thread is
 * stuck in a namespace, further tasks for that namespace (the same {@link Fd} object, i.e. the
 * same container handle) are refused at once instead of stalling another thread, and at most
 * {@link #MAX_STALLED} threads may be stalled in all; beyond that every task is refused until
 * one returns. A stalled task that returns later has done its work (e.g. a mount): callers
 * must treat a timeout as "outcome unknown" and re-read the mount table, never as "nothing
 * happened".
 *
 * <p>Fds and results across a timeout: a caller that gave up closes its fds, and the kernel
 * hands the freed numbers to the next open (e.g. a fresh lane's open_tree of another share),
 * so a set-aside task must never use a caller's fd number. A task that needs fds therefore
 * gets them lent ({@link #inside(Fd, Fd[], LentTask)}): each is duplicated (F_DUPFD_CLOEXEC)
 * for the task, which owns and closes the copies whatever happens; the namespace fd used for
 * setns is always such a copy. A task whose caller gave up has its result closed by the lane
 * when that result is {@link AutoCloseable} (an fd nobody would close, pinning a detached
 * mount tree).
 */
public final class NamespaceThread implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceThread.class);
    public static final String THREAD_NAME = "castd-mntns";
    /** {@link LinuxException#operation()} of a task that timed out or was refused because of a stall. */
    public static final String TASK_OPERATION = "namespace task";
    /**
     * Stalled threads allowed at once: each costs one platform thread (and its stack) until the
     * guest's file system answers; a few hostile guests can use them all up, after which mounts
     * wait for them (the situation before stalled threads were set aside), never more threads.
     */
    public static final int MAX_STALLED = 4;

    /** A unit of work for the namespace thread. */
    @FunctionalInterface
    public interface Task<T> {
        T run() throws Exception;
    }

    /**
     * A task that uses fds: it receives its own copies of the lent fds (same order, null stays
     * null), valid until it returns even when its caller has given up and closed the originals.
     * It must not close them (the lane does) and must not keep them.
     */
    @FunctionalInterface
    public interface LentTask<T> {
        T run(Fd[] lent) throws Exception;
    }

    private static final Fd[] NONE = new Fd[0];

    /**
     * One submission: who owns the lent copies and the result. NEW: not started, the caller may
     * take it back (and closes the copies); RUNNING: the task owns the copies; DONE: the caller
     * gets the result; ABANDONED: the caller gave up, the task closes the copies and its result.
     */
    private static final class Handoff<T> {
        static final int NEW = 0;
        static final int RUNNING = 1;
        static final int DONE = 2;
        static final int ABANDONED = 3;
        final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger(NEW);
        final Fd[] lent;

        Handoff(Fd[] lent) {
            this.lent = lent;
        }

        /** On the lane thread. Runs the task unless the caller already gave up. */
        T run(Lane lane, LentTask<T> task) throws Exception {
            if (!state.compareAndSet(NEW, RUNNING)) throw new CancellationException();
            lane.handoff = this;
            T result = null;
            try {
                result = task.run(lent);
                return result;
            } finally {
                lane.handoff = null;
                closeAll(lent);
                if (!state.compareAndSet(RUNNING, DONE) && result instanceof AutoCloseable c) {
                    // The caller gave up: nobody else will ever close this (an fd pinning a mount tree).
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // nothing more to do
                    }
                }
            }
        }

        /** On the caller: gives up. False when the task has already finished (its result stands). */
        boolean abandon() {
            if (state.compareAndSet(NEW, ABANDONED)) {
                closeAll(lent);
                return true;
            }
            return state.compareAndSet(RUNNING, ABANDONED) || state.get() == ABANDONED;
        }

        boolean abandoned() {
            return state.get() == ABANDONED;
        }
    }

    private static Fd[] dupAll(Fd[] fds) throws LinuxException {
        Fd[] copies = new Fd[fds.length];
        try {
            for (int i = 0; i < fds.length; i++) copies[i] = fds[i] == null ? null : fds[i].dup();
        } catch (LinuxException | RuntimeException e) {
            closeAll(copies);
            throw e;
        }
        return copies;
    }

    private static void closeAll(Fd[] fds) {
        for (Fd fd : fds) {
            if (fd != null) fd.close();
        }
    }

    /** One namespace thread and its single-thread executor. */
    private final class Lane {
        final ThreadPoolExecutor executor;
        /**
         * This lane's own copy of the host namespace fd, closed when its thread has ended: a
         * set-aside task returns home through it even after {@link #close} closed the original.
         */
        final Fd home;
        volatile Thread thread;
        /** Confined to this lane's thread: true while a task runs inside a namespace other than the host's. */
        boolean entered;
        /** The namespace the running task is in (null: the host's), for stall bookkeeping. */
        volatile Fd runningIn;
        /** True once the lane is set aside: its caller gave up, so its task must not mount anything. */
        volatile boolean abandoned;
        /** The submission running on this lane (null: none), for {@link #abandoned()}. */
        volatile Handoff<?> handoff;
        /** Set when the lane is set aside: the namespace its stuck task is in and when it timed out. */
        Fd stalledIn;
        long stalledAtNanos;

        Lane() throws LinuxException {
            home = hostMountNamespace.dup();
            executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(() -> {
                    LANE.set(this);
                    r.run();
                }, THREAD_NAME);
                t.setDaemon(true);
                thread = t;
                return t;
            }) {
                @Override
                protected void terminated() {
                    home.close();
                }
            };
        }
    }

    private final Fd hostMountNamespace;
    private final long timeoutMillis;
    /** The lane of the calling thread when it is a namespace thread. */
    private static final ThreadLocal<Lane> LANE = new ThreadLocal<>();
    private final Object lock = new Object();
    /** The lane new tasks go to; null after a stall until the next task starts a fresh one. Guarded by lock. */
    private Lane current;
    /** Lanes set aside while stuck. Guarded by lock. */
    private final List<Lane> stalled = new ArrayList<>();
    private boolean closed;

    private NamespaceThread(Fd hostMountNamespace, long timeoutMillis) {
        this.hostMountNamespace = hostMountNamespace;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Starts the thread: opens the host mount namespace fd (from this, a host thread), then on
     * the new thread unshares CLONE_FS and does one setns round trip into the host namespace.
     *
     * @param timeoutMillis how long a caller waits for one task (a guest's FUSE mount on a
     *     target path could block a lookup; the caller gets an error instead of hanging)
     */
    public static NamespaceThread start(long timeoutMillis) throws LinuxException {
        Fd host = Kernel.openHost(Path.of("/proc/self/ns/mnt"), Kernel.O_RDONLY);
        NamespaceThread thread = new NamespaceThread(host, timeoutMillis);
        try {
            thread.inside(host, () -> null);
        } catch (LinuxException e) {
            thread.close();
            throw e;
        } catch (Exception e) {
            thread.close();
            throw new IllegalStateException("namespace thread failed to start: " + e, e);
        }
        return thread;
    }

    /** The host's mount namespace; entering it is the warm-up path. */
    public Fd hostNamespace() {
        return hostMountNamespace;
    }

    /**
     * Runs {@code task} on the namespace thread inside the mount namespace of {@code namespace}
     * (a pidfd or a /proc/PID/ns/mnt fd), then returns to the host namespace.
     * Exceptions of the task are rethrown as they are.
     *
     * <p>Called from a task of {@link #onHost} (already on the namespace thread, in the host
     * namespace) it runs inline, so one hand-off can visit several namespaces in turn. It
     * cannot nest inside another {@code inside}: returning to the host would leave the outer
     * task in the wrong namespace.
     *
     * @throws LinuxException with operation "namespace task" and errno ETIMEDOUT when the task
     *     did not finish in time (outcome unknown), EBUSY when an earlier task in the same
     *     namespace is still stuck, EAGAIN when {@link #MAX_STALLED} threads are stuck
     */
    public <T> T inside(Fd namespace, Task<T> task) throws Exception {
        return inside(namespace, NONE, lent -> task.run());
    }

    /**
     * {@link #inside(Fd, Task)} with fds lent to the task (see {@link LentTask}): use this
     * whenever the task uses an fd the caller closes, so a task that is set aside never uses a
     * number the kernel may have handed out again. Called on the namespace thread (inline) the
     * task gets the originals: its own caller is the lane task that owns them.
     */
    public <T> T inside(Fd namespace, Fd[] lend, LentTask<T> task) throws Exception {
        Lane own = LANE.get();
        if (own != null) return enter(own, namespace, namespace, () -> task.run(lend));
        Fd[] withNamespace = new Fd[lend.length + 1];
        withNamespace[0] = namespace;
        System.arraycopy(lend, 0, withNamespace, 1, lend.length);
        return submit(namespace, withNamespace, copies -> {
            Fd[] taskFds = java.util.Arrays.copyOfRange(copies, 1, copies.length);
            return enter(LANE.get(), namespace, copies[0], () -> task.run(taskFds));
        });
    }

    /**
     * Runs {@code task} on the namespace thread while it is in the host namespace; the task may
     * call {@link #inside} to visit other namespaces (each visit returns to the host).
     */
    public <T> T onHost(Task<T> task) throws Exception {
        return onHost(NONE, lent -> task.run());
    }

    /** {@link #onHost(Task)} with fds lent to the task, as for {@link #inside(Fd, Fd[], LentTask)}. */
    public <T> T onHost(Fd[] lend, LentTask<T> task) throws Exception {
        Lane own = LANE.get();
        if (own != null) {
            if (own.entered) throw new IllegalStateException("onHost called inside a namespace");
            return task.run(lend);
        }
        return submit(null, lend, task);
    }

    /**
     * @param namespace the caller's fd, for stall bookkeeping only (compared by identity)
     * @param setnsFd what setns uses: the lane's own copy when the task was submitted
     */
    private <T> T enter(Lane own, Fd namespace, Fd setnsFd, Task<T> task) throws Exception {
        if (own.entered) throw new IllegalStateException("inside cannot nest inside another namespace");
        Fd before = own.runningIn;
        own.runningIn = namespace;
        MountApi.setns(setnsFd, MountApi.CLONE_NEWNS);
        own.entered = true;
        try {
            return task.run();
        } finally {
            try {
                MountApi.setns(own.home, MountApi.CLONE_NEWNS);
                own.entered = false;
                own.runningIn = before;
            } catch (Throwable t) {
                // This thread may be stuck in a guest's namespace: it must never run another task.
                retire(own, "could not return to the host mount namespace: " + t);
                throw t;
            }
        }
    }

    /** True if the calling thread is a namespace thread. */
    public static boolean isNamespaceThread() {
        return THREAD_NAME.equals(Thread.currentThread().getName());
    }

    /**
     * True on a namespace thread whose caller gave up waiting (the task was stuck and its lane
     * set aside). A task checks it right before a step that changes a mount table, so a lookup
     * that returns late does not place a mount castd has already reported as failed (it would
     * be mounted again on top). Allocation-free: safe inside a guest's namespace.
     */
    public static boolean abandoned() {
        Lane own = LANE.get();
        if (own == null) return false;
        Handoff<?> h = own.handoff;
        return own.abandoned || (h != null && h.abandoned());
    }

    /** How many namespace threads are stalled right now (for status and tests). */
    public int stalledCount() {
        synchronized (lock) {
            prune();
            return stalled.size();
        }
    }

    private <T> T submit(Fd namespace, Fd[] lend, LentTask<T> task) throws Exception {
        // A task queued behind one that stalled is cancelled when the lane is set aside; it is
        // tried once more on the fresh lane.
        for (int attempt = 0; ; attempt++) {
            Lane target = laneFor(namespace);
            // Fresh copies per attempt: whoever owns a Handoff closes its copies exactly once.
            Handoff<T> handoff = new Handoff<>(dupAll(lend));
            Future<T> future;
            try {
                future = target.executor.submit(() -> handoff.run(target, task));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                handoff.abandon();
                if (attempt == 0) continue;
                throw unavailable();
            }
            try {
                return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (CancellationException e) {
                handoff.abandon();
                if (attempt == 0) continue;
                throw unavailable();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof CancellationException) {
                    // It never started: the lane was set aside (or closed) before; try once more.
                    if (attempt == 0) continue;
                    throw unavailable();
                }
                throw causeOf(e);
            } catch (TimeoutException e) {
                if (!handoff.abandon()) {
                    // It finished just now: its result stands (nothing stuck, nothing to set aside).
                    return awaitFinished(future);
                }
                setAside(target);
                future.cancel(false);
                throw new LinuxException(TASK_OPERATION, null, Errno.ETIMEDOUT, "no answer within " + timeoutMillis
                        + " ms (a file system in the container does not answer: a stalled FUSE mount?)");
            } catch (InterruptedException e) {
                // The caller gives up without waiting: the task (if it started) closes what it holds.
                handoff.abandon();
                throw e;
            }
        }
    }

    /** The outcome of a task that has marked itself done (it completes at once). */
    private <T> T awaitFinished(Future<T> future) throws Exception {
        try {
            return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw causeOf(e);
        }
    }

    /** What a task threw, to be rethrown to its caller as is (an Error is thrown from here). */
    private static Exception causeOf(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Exception ex) return ex;
        if (cause instanceof Error err) throw err;
        return e;
    }

    /** A task that found no lane to run on twice in a row (each was set aside or closed under it). */
    private static LinuxException unavailable() {
        return new LinuxException(TASK_OPERATION, null, Errno.EAGAIN, "namespace thread unavailable, try again");
    }

    /** The lane a task for {@code namespace} may use, starting a fresh one if needed. */
    private Lane laneFor(Fd namespace) throws LinuxException {
        synchronized (lock) {
            if (closed) throw new IllegalStateException("namespace thread closed");
            prune();
            if (namespace != null) {
                for (Lane s : stalled) {
                    if (s.stalledIn == namespace) {
                        // No changing figures in the text: the reconciler records a reason once until it changes.
                        throw new LinuxException(TASK_OPERATION, null, Errno.EBUSY, "an earlier operation in this"
                                + " container is still stuck (a stalled FUSE mount?); refused until it returns");
                    }
                }
            }
            if (current == null) {
                if (stalled.size() >= MAX_STALLED) {
                    throw new LinuxException(TASK_OPERATION, null, Errno.EAGAIN, stalled.size()
                            + " namespace threads are stuck in containers' file systems; refused until one returns");
                }
                current = new Lane();
                try {
                    current.executor.submit(() -> {
                        MountApi.unshare(MountApi.CLONE_FS);
                        return null;
                    }).get(timeoutMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    current.executor.shutdownNow();
                    current = null;
                    throw new LinuxException(TASK_OPERATION, null, Errno.EINTR, "interrupted");
                } catch (ExecutionException | TimeoutException e) {
                    current.executor.shutdownNow();
                    current = null;
                    throw new IllegalStateException("namespace thread failed to start: " + e, e);
                }
            }
            return current;
        }
    }

    /** Sets a lane whose task timed out aside: no new task reaches it, queued ones are cancelled. */
    private void setAside(Lane stuck) {
        Fd in;
        int count;
        synchronized (lock) {
            if (stuck != current) return; // another caller set it aside already
            current = null;
            stuck.abandoned = true;
            stuck.stalledIn = stuck.runningIn;
            stuck.stalledAtNanos = System.nanoTime();
            stalled.add(stuck);
            in = stuck.stalledIn;
            count = stalled.size();
        }
        // Queued tasks of other callers are cancelled (they retry on a fresh lane instead of
        // waiting their turn); the executor terminates once the stuck task returns. No
        // interrupt: it could not wake a system call anyway, and the task must finish its own
        // way (returning to the host namespace in its finally block).
        List<Runnable> queued = new ArrayList<>();
        stuck.executor.getQueue().drainTo(queued);
        for (Runnable r : queued) {
            if (r instanceof Future<?> f) f.cancel(false);
        }
        stuck.executor.shutdown();
        LOG.error("namespace thread stalled for {} ms in {}; set aside ({} stalled), a fresh thread serves the others",
                timeoutMillis, in == null ? "the host namespace" : "a container's namespace", count);
    }

    /** Forgets stalled lanes whose task returned (their thread ends). Holds lock. */
    private void prune() {
        stalled.removeIf(s -> {
            if (!s.executor.isTerminated()) return false;
            LOG.info("stalled namespace thread returned after {} ms; released",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s.stalledAtNanos) + timeoutMillis);
            return true;
        });
    }

    /** Called on a lane's own thread when it cannot go home: it runs nothing more. */
    private void retire(Lane broken, String why) {
        LOG.error("namespace thread retired: {}", why);
        synchronized (lock) {
            if (current == broken) current = null;
        }
        broken.executor.shutdownNow();
    }

    @Override
    public void close() {
        List<Lane> all = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            if (current != null) all.add(current);
            all.addAll(stalled);
            current = null;
            stalled.clear();
        }
        for (Lane l : all) l.executor.shutdownNow();
        for (Lane l : all) {
            try {
                l.executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        hostMountNamespace.close();
    }
}
