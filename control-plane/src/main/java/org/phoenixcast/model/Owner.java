package org.phoenixcast.model;

/** Who owns a shared folder: the host, or a container. */
public sealed interface Owner permits Owner.Host, Owner.Guest {
    Owner HOST = new Host();

    /** The name used in protocol, database and casts.ini: "host" or the container's name. */
    String name();

    static Owner parse(String unsafeName) {
        if (ContainerName.HOST.equals(unsafeName)) return HOST;
        return new Guest(ContainerName.parse(unsafeName));
    }

    record Host() implements Owner {
        @Override
        public String name() {
            return ContainerName.HOST;
        }

        @Override
        public String toString() {
            return name();
        }
    }

    record Guest(ContainerName container) implements Owner {
        @Override
        public String name() {
            return container.value();
        }

        @Override
        public String toString() {
            return name();
        }
    }
}
