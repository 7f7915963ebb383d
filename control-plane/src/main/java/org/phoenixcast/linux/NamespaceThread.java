package org.phoenixcast.linux;

import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one platform thread ("castd-mntns") that enters containers' mount namespaces. It did
 * unshare(CLONE_FS) first, so setns(CLONE_NEWNS) changes only its own root and cwd; every
 * other JVM thread stays in the host's mount namespace (tested).
 *
 * <p>Contract for tasks: while inside a container, a task makes system calls only. Resolving
 * a path by name there resolves in the guest's file system (the guest controls what it
 * finds), and loading a class from a directory class path fails or reads guest files. So the
 * owner must run every task body once through {@link #inside} with {@link #hostNamespace()}
 * before real use (warm-up), tasks must not log, and must not build strings on paths that
 * warm-up did not take. The host namespace is always re-entered in a finally block; if that
 * ever fails the thread is retired and every later call fails.
 */
public final class NamespaceThread implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceThread.class);
    public static final String THREAD_NAME = "castd-mntns";

    /** A unit of work for the namespace thread. */
    @FunctionalInterface
    public interface Task<T> {
        T run() throws Exception;
    }

    private final ExecutorService executor;
    private final Fd hostMountNamespace;
    private final long timeoutMillis;
    private volatile String broken;
    private volatile Thread thread;
    /** Confined to the namespace thread: true while a task runs inside a namespace other than the host's. */
    private boolean entered;

    private NamespaceThread(Fd hostMountNamespace, long timeoutMillis) {
        this.hostMountNamespace = hostMountNamespace;
        this.timeoutMillis = timeoutMillis;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            thread = t;
            return t;
        });
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
            thread.submit(() -> {
                MountApi.unshare(MountApi.CLONE_FS);
                return null;
            });
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
     */
    public <T> T inside(Fd namespace, Task<T> task) throws Exception {
        if (Thread.currentThread() == thread) return enter(namespace, task);
        return submit(() -> enter(namespace, task));
    }

    /**
     * Runs {@code task} on the namespace thread while it is in the host namespace; the task may
     * call {@link #inside} to visit other namespaces (each visit returns to the host).
     */
    public <T> T onHost(Task<T> task) throws Exception {
        if (Thread.currentThread() == thread) {
            if (entered) throw new IllegalStateException("onHost called inside a namespace");
            return task.run();
        }
        return submit(task);
    }

    private <T> T enter(Fd namespace, Task<T> task) throws Exception {
        if (entered) throw new IllegalStateException("inside cannot nest inside another namespace");
        MountApi.setns(namespace, MountApi.CLONE_NEWNS);
        entered = true;
        try {
            return task.run();
        } finally {
            try {
                MountApi.setns(hostMountNamespace, MountApi.CLONE_NEWNS);
                entered = false;
            } catch (Throwable t) {
                broken = "could not return to the host mount namespace: " + t;
                throw t;
            }
        }
    }

    /** True if the calling thread is the namespace thread. */
    public static boolean isNamespaceThread() {
        return THREAD_NAME.equals(Thread.currentThread().getName());
    }

    private <T> T submit(Task<T> task) throws Exception {
        if (broken != null) throw new IllegalStateException("namespace thread retired: " + broken);
        Future<T> future = executor.submit(task::run);
        try {
            return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (broken != null) {
                LOG.error("namespace thread retired: {}", broken);
                executor.shutdownNow();
            }
            if (cause instanceof Exception ex) throw ex;
            if (cause instanceof Error err) throw err;
            throw e;
        } catch (TimeoutException e) {
            // The thread is stuck in a system call (e.g. a lookup through a guest's FUSE mount).
            // It may still be inside a guest namespace, so it must never run another task.
            broken = "a task took longer than " + timeoutMillis + " ms";
            LOG.error("namespace thread retired: {}", broken);
            executor.shutdownNow();
            throw new LinuxException("namespace task", null, Errno.EAGAIN, "timed out after " + timeoutMillis + " ms");
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        hostMountNamespace.close();
    }
}
