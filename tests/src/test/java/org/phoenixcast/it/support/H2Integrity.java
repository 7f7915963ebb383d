package org.phoenixcast.it.support;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.h2.mvstore.MVStoreTool;
import org.phoenixcast.store.Database;
import org.phoenixcast.testing.TestMounts;

/**
 * "The database opens clean", checked on a copy of castd's H2 directory taken while castd is
 * not running (after a kill -9, before the restart), so castd's own recovery of the original
 * is left untouched. Three checks, each of which fails loudly:
 * <ol>
 *   <li>H2's store tool ({@link MVStoreTool#info}) walks the file's chunk headers and the
 *       layout map and returns an error message for a broken store;</li>
 *   <li>the copy opens with castd's own settings ({@link Database#open}: the same URL, Flyway
 *       finds nothing to migrate);</li>
 *   <li>{@code SCRIPT NODATA} renders the whole schema, and every row of every table is read
 *       (a damaged page fails the read, with H2's "File corrupted" error);</li>
 * </ol>
 * and H2 wrote no {@code .trace.db} (where it logs its own errors) beside the file.
 */
public final class H2Integrity {
    private H2Integrity() {}

    /** What a check found: rows per table of the copy, and the problems (empty when clean). */
    public record Report(Map<String, Long> rowsPerTable, int schemaLines, List<String> problems) {
        public boolean clean() {
            return problems.isEmpty();
        }
    }

    /** Copies castd's database directory (castd must not be running) to a new temporary directory. */
    public static Path copyOf(Path databaseDir) throws IOException {
        Path copy = Files.createTempDirectory("castd-db-copy");
        try (var files = Files.list(databaseDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    /** Checks the copy; the caller deletes it with {@link #delete}. */
    public static Report check(Path copy) {
        List<String> problems = new ArrayList<>();
        Path trace = copy.resolve("castd.trace.db");
        if (Files.exists(trace)) {
            try {
                problems.add("H2 trace file present: " + Files.readString(trace).lines().limit(5).toList());
            } catch (IOException e) {
                problems.add("H2 trace file present and unreadable: " + e.getMessage());
            }
        }
        StringWriter toolOutput = new StringWriter();
        String storeError = MVStoreTool.info(copy.resolve("castd.mv.db").toString(), toolOutput);
        if (storeError != null) problems.add("MVStoreTool.info: " + storeError);
        Map<String, Long> rows = new TreeMap<>();
        int schemaLines = 0;
        try (Database db = Database.open(copy)) {
            schemaLines = db.dsl().fetch("SCRIPT NODATA").size();
            List<String> tables = db.dsl().fetch("select table_name from information_schema.tables "
                    + "where table_schema = 'PUBLIC' and table_type = 'BASE TABLE' order by table_name")
                    .getValues(0, String.class);
            for (String table : tables) {
                long n = 0;
                try (var cursor = db.dsl().fetchLazy("select * from \"" + table.replace("\"", "\"\"") + "\"")) {
                    while (cursor.hasNext()) {
                        cursor.fetchNext();
                        n++;
                    }
                }
                rows.put(table, n);
            }
            if (tables.isEmpty()) problems.add("no tables in schema PUBLIC");
        } catch (IOException | RuntimeException e) {
            problems.add("open or scan failed: " + e);
        }
        if (Files.exists(trace) && problems.stream().noneMatch(p -> p.startsWith("H2 trace"))) {
            problems.add("H2 wrote a trace file while the copy was opened");
        }
        return new Report(rows, schemaLines, problems);
    }

    public static void delete(Path copy) {
        try {
            TestMounts.deleteTree(copy);
        } catch (IOException | RuntimeException e) {
            // a temporary copy; leaving it is harmless
        }
    }
}
