-- phoenix-cast core schema. This folder is the only schema source: castd migrates its
-- database with Flyway at start-up and the build generates jOOQ classes from it.
-- Names are container names, or 'host' for the host. Paths are canonical absolute paths.

-- Containers castd knows. A row outlives the container: shares, acceptances and blocks
-- refer to names, not rows, so that casts.ini can describe containers not yet registered.
CREATE TABLE container (
    name          VARCHAR(64)   NOT NULL PRIMARY KEY,
    runtime       VARCHAR(16)   NOT NULL,   -- 'pid' (castctl container add) or 'sandbox'
    pid           INTEGER,                  -- host PID of the container's init while known
    pid_start     BIGINT,                   -- /proc/PID/stat starttime: detects PID reuse across castd restarts
    pid_file      VARCHAR(4096),            -- re-read to follow a container that restarts
    registered_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Verbs an admin disabled for a container (the note's missing hard links). Default: all enabled.
CREATE TABLE disabled_verb (
    container VARCHAR(64) NOT NULL,
    verb      VARCHAR(16) NOT NULL,
    PRIMARY KEY (container, verb)
);

-- An offer (receiver = a container name) or a publication (receiver = '*': every container).
CREATE TABLE share (
    owner       VARCHAR(64)   NOT NULL,
    source_path VARCHAR(4096) NOT NULL,
    receiver    VARCHAR(64)   NOT NULL,
    target_path VARCHAR(4096) NOT NULL,
    access      VARCHAR(2)    NOT NULL CHECK (access IN ('ro', 'rw')),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (owner, source_path, receiver)
);

-- A receiver's consent to mount owner:source_path. It may precede the offer.
CREATE TABLE acceptance (
    receiver    VARCHAR(64)   NOT NULL,
    owner       VARCHAR(64)   NOT NULL,
    source_path VARCHAR(4096) NOT NULL,
    -- TRUE when the share was mounted at the moment the receiver blocked everything:
    -- "castblock" blocks every mount not already in place.
    survives_block_all BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (receiver, owner, source_path)
);

-- A receiver's block: target_path '*' blocks everything, a path blocks it and all below it.
CREATE TABLE block (
    receiver    VARCHAR(64)   NOT NULL,
    target_path VARCHAR(4096) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (receiver, target_path)
);

-- Mounts castd placed and last verified in the receiver's mountinfo.
CREATE TABLE placed_mount (
    receiver    VARCHAR(64)   NOT NULL,
    target_path VARCHAR(4096) NOT NULL,
    owner       VARCHAR(64)   NOT NULL,
    source_path VARCHAR(4096) NOT NULL,
    access      VARCHAR(2)    NOT NULL CHECK (access IN ('ro', 'rw')),
    mount_id    BIGINT        NOT NULL,   -- id in the receiver's mount namespace (mountinfo field 1)
    receiver_pid INTEGER      NOT NULL,   -- the incarnation of the receiver it was placed in
    mounted_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (receiver, target_path)
);

-- The request queue. A row is committed before its file leaves the drop directory, so a
-- crash loses nothing; (container, file_name, file_inode, file_ctime_ns) recognises a file
-- already taken when castd restarts between commit and unlink, so nothing runs twice.
CREATE TABLE request (
    id            BIGINT        AUTO_INCREMENT PRIMARY KEY,
    container     VARCHAR(64)   NOT NULL,
    file_name     VARCHAR(255)  NOT NULL,
    file_inode    BIGINT        NOT NULL,
    file_ctime_ns BIGINT        NOT NULL,
    body          VARCHAR(16384) NOT NULL,  -- the file's bytes, validated UTF-8; one request per line
    state         VARCHAR(16)   NOT NULL CHECK (state IN ('QUEUED', 'DECIDED', 'REPLIED')),
    reply         VARCHAR(65536),           -- set with state DECIDED, written to the guest by REPLIED
    received_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at   TIMESTAMP WITH TIME ZONE
);
CREATE INDEX request_state ON request (state, container, id);
CREATE UNIQUE INDEX request_file ON request (container, file_name, file_inode, file_ctime_ns);

-- Every mount, unmount, refusal and request outcome.
CREATE TABLE history (
    id         BIGINT        AUTO_INCREMENT PRIMARY KEY,
    at         TIMESTAMP WITH TIME ZONE NOT NULL,
    container  VARCHAR(64)   NOT NULL,
    verb       VARCHAR(32)   NOT NULL,   -- a guest verb, or mount / unmount / admin
    arguments  VARCHAR(8192) NOT NULL,
    outcome    VARCHAR(16)   NOT NULL,   -- ok, refused, failed, mounted, unmounted
    reason     VARCHAR(4096) NOT NULL,
    request_id BIGINT
);
CREATE INDEX history_container ON history (container, id);
