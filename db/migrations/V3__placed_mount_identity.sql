-- Which mount castd placed, beyond its mount id: mountinfo ids are reused lowest-free, so after
-- the guest unmounts castd's mount a mount of its own (or a locked one) can carry the same id.
-- castd chases or unmounts a mount found by id only if its device (major:minor) and root
-- (mountinfo field 4) are also these. NULL: not known yet (rows written before V3, PENDING rows);
-- learnt when the mount is seen at its target, never chased elsewhere while unknown.
ALTER TABLE placed_mount ADD COLUMN mount_device VARCHAR(32);
ALTER TABLE placed_mount ADD COLUMN mount_root   VARCHAR(4096);
