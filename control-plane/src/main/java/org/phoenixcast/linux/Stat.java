package org.phoenixcast.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The fields of struct statx castd uses. {@code mountId} is the mountinfo mount id (STATX_MNT_ID). */
public record Stat(int mode, int nlink, long inode, long size, long ctimeNanos,
                   int devMajor, int devMinor, long mountId) {
    static final int SIZE = 256;
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;

    static Stat decode(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long ctime = b.getLong(96) * 1_000_000_000L + Integer.toUnsignedLong(b.getInt(104));
        return new Stat(b.getShort(28) & 0xffff, b.getInt(16), b.getLong(32), b.getLong(40), ctime,
                b.getInt(136), b.getInt(140), b.getLong(144));
    }

    public int type() {
        return mode & S_IFMT;
    }

    public boolean isDirectory() {
        return type() == S_IFDIR;
    }

    public boolean isRegularFile() {
        return type() == S_IFREG;
    }

    /** "major:minor" as mountinfo shows the device. */
    public String device() {
        return devMajor + ":" + devMinor;
    }

    /** A word for the file type, for refusal messages. */
    public String typeName() {
        switch (type()) {
            case S_IFDIR: return "a directory";
            case S_IFREG: return "a regular file";
            case S_IFLNK: return "a symlink";
            case S_IFIFO: return "a FIFO";
            case S_IFSOCK: return "a socket";
            case S_IFCHR: return "a character device";
            case S_IFBLK: return "a block device";
            default: return "an unknown file type";
        }
    }
}
