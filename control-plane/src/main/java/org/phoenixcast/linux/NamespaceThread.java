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

    /** One namespace thread and its single-thread executor. */
    private final class Lane {
        final ThreadPoolExecutor executor;
        volatile Thread thread;
        /** Confined to this lane's thread: true while a task runs inside a namespace other than the host's. */
        boolean entered;
        /** The namespace the running task is in (null: the host's), for stall bookkeeping. */
        volatile Fd runningIn;
        /** True once the lane is set aside: its caller gave up, so its task must not mount anything. */
        volatile boolean abandoned;
        /** Set when the lane is set aside: the namespace its stuck task is in and when it timed out. */
        Fd stalledIn;
        long stalledAtNanos;

        Lane() {
            executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(() -> {
                    LANE.set(this);
                    r.run();
                }, THREAD_NAME);
                t.setDaemon(true);
                thread = t;
                return t;
            });
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
        Lane own = LANE.get();
        if (own != null) return enter(own, namespace, task);
        return submit(namespace, () -> enter(LANE.get(), namespace, task));
    }

    /**
     * Runs {@code task} on the namespace thread while it is in the host namespace; the task may
     * call {@link #inside} to visit other namespaces (each visit returns to the host).
     */
    public <T> T onHost(Task<T> task) throws Exception {
        Lane own = LANE.get();
        if (own != null) {
            if (own.entered) throw new IllegalStateException("onHost called inside a namespace");
            return task.run();
        }
        return submit(null, task);
    }

    private <T> T enter(Lane own, Fd namespace, Task<T> task) throws Exception {
        if (own.entered) throw new IllegalStateException("inside cannot nest inside another namespace");
        Fd before = own.runningIn;
        own.runningIn = namespace;
        MountApi.setns(namespace, MountApi.CLONE_NEWNS);
        own.entered = true;
        try {
            return task.run();
        } finally {
            try {
                MountApi.setns(hostMountNamespace, MountApi.CLONE_NEWNS);
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
        return own != null && own.abandoned;
    }

    /** How many namespace threads are stalled right now (for status and tests). */
    public int stalledCount() {
        synchronized (lock) {
            prune();
            return stalled.size();
        }
    }

    private <T> T submit(Fd namespace, Task<T> task) throws Exception {
        // A task queued behind one that stalled is cancelled when the lane is set aside; it is
        // tried once more on the fresh lane.
        for (int attempt = 0; ; attempt++) {
            Lane target = laneFor(namespace);
            Future<T> future;
            try {
                future = target.executor.submit(task::run);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                if (attempt == 0) continue;
                throw new LinuxException(TASK_OPERATION, null, Errno.EAGAIN, "namespace thread unavailable, try again");
            }
            try {
                return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (CancellationException e) {
                if (attempt == 0) continue;
                throw new LinuxException(TASK_OPERATION, null, Errno.EAGAIN, "namespace thread unavailable, try again");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) throw ex;
                if (cause instanceof Error err) throw err;
                throw e;
            } catch (TimeoutException e) {
                setAside(target);
                future.cancel(false);
                throw new LinuxException(TASK_OPERATION, null, Errno.ETIMEDOUT, "no answer within " + timeoutMillis
                        + " ms (a file system in the container does not answer: a stalled FUSE mount?)");
            }
        }
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
