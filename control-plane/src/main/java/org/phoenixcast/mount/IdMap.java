package org.phoenixcast.mount;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * One id mapping of a user namespace (its uid_map or its gid_map), or of an idmapped mount: ids
 * "inside" mapped to ids "outside", in ranges as the kernel's map files list them. Read by host
 * root, a /proc/PID/uid_map gives the outside ids as host ids (kernel ids), whatever the nesting.
 *
 * <p>A map is a partial, one-to-one function. The ranges are kept in one canonical form (sorted
 * by inside id, adjacent ranges that continue each other merged), so two maps are {@code equals}
 * exactly when they map the same ids to the same ids. Ids are unsigned 32-bit; the identity map
 * of the initial user namespace is {@code 0 0 4294967295}.
 */
public record IdMap(List<Range> ranges) {
    /** One past the largest id a range may reach (ids are u32). */
    public static final long ID_LIMIT = 1L << 32;
    /** The kernel accepts at most this many lines in a uid_map or gid_map (since Linux 4.15). */
    public static final int MAX_RANGES = 340;
    /** ... written at once in less than a page: the kernel refuses a write of 4096 bytes or more. */
    public static final int MAX_MAP_FILE_BYTES = 4095;
    /** What the initial user namespace shows: every id maps to itself. */
    public static final IdMap IDENTITY = new IdMap(List.of(new Range(0, 0, 4294967295L)));
    public static final IdMap EMPTY = new IdMap(List.of());

    /** {@code count} ids from {@code inside} map to {@code count} ids from {@code outside}. */
    public record Range(long inside, long outside, long count) {
        public Range {
            if (inside < 0 || outside < 0 || count < 1 || inside + count > ID_LIMIT || outside + count > ID_LIMIT) {
                throw new IllegalArgumentException("invalid id range: " + inside + " " + outside + " " + count);
            }
        }

        long insideEnd() {
            return inside + count;
        }

        long outsideEnd() {
            return outside + count;
        }
    }

    /** Canonicalizes; refuses ranges that overlap on either side (the kernel refuses them too). */
    public IdMap {
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(Range::inside));
        List<Range> merged = new ArrayList<>();
        for (Range r : sorted) {
            Range last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r.inside() < last.insideEnd()) {
                throw new IllegalArgumentException("overlapping inside ids: " + last + " and " + r);
            }
            if (last != null && r.inside() == last.insideEnd() && r.outside() == last.outsideEnd()) {
                merged.set(merged.size() - 1, new Range(last.inside(), last.outside(), last.count() + r.count()));
            } else {
                merged.add(r);
            }
        }
        List<Range> byOutside = new ArrayList<>(merged);
        byOutside.sort(Comparator.comparingLong(Range::outside));
        for (int i = 1; i < byOutside.size(); i++) {
            if (byOutside.get(i).outside() < byOutside.get(i - 1).outsideEnd()) {
                throw new IllegalArgumentException("overlapping outside ids: " + byOutside.get(i - 1) + " and "
                        + byOutside.get(i));
            }
        }
        ranges = List.copyOf(merged);
    }

    public static IdMap of(Range... ranges) {
        return new IdMap(List.of(ranges));
    }

    /**
     * Parses the text of a /proc/PID/uid_map or gid_map (or the lines statmount reports for an
     * idmapped mount): one range per line, three unsigned decimal numbers separated by blanks.
     */
    public static IdMap parse(String text) {
        List<Range> ranges = new ArrayList<>();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) continue;
            String[] f = trimmed.split("\\s+");
            if (f.length != 3) throw new IllegalArgumentException("not an id map line: '" + line + "'");
            try {
                ranges.add(new Range(unsigned(f[0]), unsigned(f[1]), unsigned(f[2])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an id map line: '" + line + "'");
            }
        }
        return new IdMap(ranges);
    }

    private static long unsigned(String digits) {
        if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new NumberFormatException(digits);
        }
        return Long.parseLong(digits);
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    public boolean isIdentity() {
        return equals(IDENTITY);
    }

    /** The outside id of inside id {@code id}, if mapped. */
    public OptionalLong toOutside(long id) {
        for (Range r : ranges) {
            if (id >= r.inside() && id < r.insideEnd()) return OptionalLong.of(r.outside() + (id - r.inside()));
        }
        return OptionalLong.empty();
    }

    /** The inside id of outside id {@code id}, if mapped. */
    public OptionalLong toInside(long id) {
        return inverse().toOutside(id);
    }

    /** The same ranges read the other way round: outside ids map to inside ids. */
    public IdMap inverse() {
        List<Range> swapped = new ArrayList<>(ranges.size());
        for (Range r : ranges) swapped.add(new Range(r.outside(), r.inside(), r.count()));
        return new IdMap(swapped);
    }

    /**
     * The composition "this, then {@code next}": inside id x maps to next(this(x)). An id that
     * either map leaves unmapped stays unmapped; partly overlapping ranges are cut to the
     * overlap, so the result may have more ranges than either map.
     */
    public IdMap andThen(IdMap next) {
        List<Range> result = new ArrayList<>();
        for (Range a : ranges) {
            for (Range b : next.ranges) {
                long low = Math.max(a.outside(), b.inside());
                long high = Math.min(a.outsideEnd(), b.insideEnd());
                if (low >= high) continue;
                result.add(new Range(a.inside() + (low - a.outside()), b.outside() + (low - b.inside()), high - low));
            }
        }
        return new IdMap(result);
    }

    /** True when a uid_map/gid_map file can take this map (castd writes them for its own namespaces). */
    public boolean fitsAMapFile() {
        return ranges.size() <= MAX_RANGES && procFormat().length() <= MAX_MAP_FILE_BYTES;
    }

    /** The map as a uid_map/gid_map file takes it: one "inside outside count" line per range. */
    public String procFormat() {
        StringBuilder s = new StringBuilder();
        for (Range r : ranges) s.append(r.inside()).append(' ').append(r.outside()).append(' ').append(r.count()).append('\n');
        return s.toString();
    }

    @Override
    public String toString() {
        return ranges.isEmpty() ? "(nothing mapped)" : procFormat().strip().replace('\n', ',');
    }
}
