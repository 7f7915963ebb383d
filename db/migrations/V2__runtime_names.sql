-- Issue 3: containers found by runtime adapters (LXC, nspawn, Podman, Docker, runc, OpenVZ).
--
-- container.name stays castd's name for a container, the one every other table uses. For a
-- discovered container it is the runtime's own name when that name was free the first time
-- castd saw the container, else the qualified RUNTIME:NAME (lxc:web, docker:web). The binding
-- is kept: a name never moves to another container because the first one stopped.
-- runtime_name is the runtime's own name ("web"), equal to name for sandboxes and
-- castctl registrations.
ALTER TABLE container ADD COLUMN runtime_name VARCHAR(64);
UPDATE container SET runtime_name = name;
ALTER TABLE container ALTER COLUMN runtime_name SET NOT NULL;
CREATE UNIQUE INDEX container_runtime_name ON container (runtime, runtime_name);

-- A qualified name is up to 8 + 64 characters ("sandbox:" + name).
ALTER TABLE container     ALTER COLUMN name      SET DATA TYPE VARCHAR(80);
ALTER TABLE disabled_verb ALTER COLUMN container SET DATA TYPE VARCHAR(80);
ALTER TABLE share         ALTER COLUMN owner     SET DATA TYPE VARCHAR(80);
ALTER TABLE share         ALTER COLUMN receiver  SET DATA TYPE VARCHAR(80);
ALTER TABLE acceptance    ALTER COLUMN receiver  SET DATA TYPE VARCHAR(80);
ALTER TABLE acceptance    ALTER COLUMN owner     SET DATA TYPE VARCHAR(80);
ALTER TABLE block         ALTER COLUMN receiver  SET DATA TYPE VARCHAR(80);
ALTER TABLE placed_mount  ALTER COLUMN receiver  SET DATA TYPE VARCHAR(80);
ALTER TABLE placed_mount  ALTER COLUMN owner     SET DATA TYPE VARCHAR(80);
ALTER TABLE request       ALTER COLUMN container SET DATA TYPE VARCHAR(80);
ALTER TABLE history       ALTER COLUMN container SET DATA TYPE VARCHAR(80);
