package org.phoenixcast.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.TransactionalCallable;
import org.jooq.impl.DSL;
import org.jooq.impl.DataSourceConnectionProvider;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.jdbcx.JdbcDataSource;

/**
 * castd's embedded H2 database: the source of truth. One process owns it (no TCP or
 * AUTO_SERVER listener: castctl talks to castd over a root-only Unix socket instead), its
 * directory is 0700 and its files 0600.
 *
 * <p>Durability: WRITE_DELAY=0 writes every commit at once; the default (500 ms) lost thousands of
 * committed rows across kill -9 (platform-notes.md). CrashRecoveryIT kills castd during bursts
 * and checks that no request is lost and the file opens clean.
 *
 * <p>RETENTION_TIME=10000 (H2's default is 45 s). With RETENTION_TIME=0 H2 may overwrite a chunk
 * that a concurrent reader still traverses: under a flood, the automatic ANALYZE inside the
 * worker's COMMIT failed with "MVStoreException: Chunk 1564 not found" while the watcher thread
 * committed, and the request was answered "internal error" (FloodIT, 2026-11-24; the same
 * failure is h2database issues 2118 and 4383). Retained chunks cost file space for 10 s of
 * writes, which H2 reuses afterwards; the window is far longer than any transaction of castd's.
 */
public final class Database implements AutoCloseable {
    /** Settings proven durable under kill -9 on our build machines. */
    static final String DURABLE_SETTINGS = ";WRITE_DELAY=0;RETENTION_TIME=10000;DB_CLOSE_ON_EXIT=FALSE";
    /**
     * No castd.trace.db: H2 writes its trace file only on errors, created with the process
     * umask (0644 seen after an out-of-space error) and growing on a full disk; castd logs the
     * exceptions itself.
     */
    static final String NO_TRACE_FILE = ";TRACE_LEVEL_FILE=0";
    /**
     * No compaction on close: with RETENTION_TIME=0 (castd's setting before), H2 2.3.232's
     * compaction on close lost rows committed since the database was opened (measured: 50 rows,
     * close, 10 more, close, reopen showed 51; after an out-of-space failure and reopen it lost a
     * row committed before the disk filled). DatabaseTest#keepsEveryCommittedRowAcrossCleanCloses.
     * The file is not shrunk on close; H2 reuses its free space.
     */
    static final String NO_COMPACT_ON_CLOSE = ";MAX_COMPACT_TIME=0";
    /** Everything castd's URL adds to the file name. */
    static final String SETTINGS = DURABLE_SETTINGS + NO_TRACE_FILE + NO_COMPACT_ON_CLOSE;

    /**
     * Pooled connections: opening an H2 session per transaction cost ~2.6 ms a state read; the
     * worker, the watcher and two admin threads are the only users.
     */
    private static final int MAX_CONNECTIONS = 8;

    private final Path directory;
    private final DSLContext dsl;
    private final JdbcConnectionPool pool;
    private volatile Connection keepOpen;

    private Database(Path directory, DSLContext dsl, JdbcConnectionPool pool, Connection keepOpen) {
        this.directory = directory;
        this.dsl = dsl;
        this.pool = pool;
        this.keepOpen = keepOpen;
    }

    /** Opens (creating and migrating if needed) the database in {@code directory}. */
    public static Database open(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        JdbcDataSource source = new JdbcDataSource();
        source.setURL("jdbc:h2:file:" + directory.resolve("castd").toAbsolutePath() + SETTINGS);
        source.setUser("castd");
        source.setPassword("");
        try {
            Flyway.configure().dataSource(source).locations("classpath:db/migrations").load().migrate();
            JdbcConnectionPool pool = JdbcConnectionPool.create(source);
            pool.setMaxConnections(MAX_CONNECTIONS);
            Connection keepOpen = pool.getConnection();
            restrictFiles(directory);
            DSLContext dsl = DSL.using(new DataSourceConnectionProvider(pool), SQLDialect.H2);
            return new Database(directory, dsl, pool, keepOpen);
        } catch (SQLException | RuntimeException e) {
            throw new IOException("cannot open database in " + directory + ": " + e.getMessage(), e);
        }
    }

    private static void restrictFiles(Path directory) throws IOException {
        try (var files = Files.list(directory)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            }
        }
    }

    /**
     * After a failure: if H2 closed the database (it does on a failed write, e.g. a full disk),
     * take a fresh connection to keep the reopened database open, and re-restrict its files.
     * Best effort: while the disk is still full, reopening fails and the next failure retries.
     */
    public void revive() {
        try {
            if (!keepOpen.isClosed() && keepOpen.isValid(1)) return;
        } catch (SQLException e) {
            // treat as closed
        }
        try {
            Connection fresh = pool.getConnection();
            Connection old = keepOpen;
            keepOpen = fresh;
            try {
                old.close();
            } catch (SQLException e) {
                // already gone with the closed database
            }
            restrictFiles(directory);
        } catch (SQLException | IOException | RuntimeException e) {
            // still failing; the next failure tries again
        }
    }

    public DSLContext dsl() {
        return dsl;
    }

    public <T> T transaction(TransactionalCallable<T> work) {
        return dsl.transactionResult(work);
    }

    public Path directory() {
        return directory;
    }

    @Override
    public void close() {
        try {
            keepOpen.close();
        } catch (SQLException e) {
            // Closing the last connection closes the database; nothing more to do.
        }
        pool.dispose();
    }
}
