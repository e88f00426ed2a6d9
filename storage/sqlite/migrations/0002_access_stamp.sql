-- charter schema, version 2: access stamps.
--
-- A workspace's stamp changes, in the same transaction, with every change to
-- its row or to any of its members, and no stamp is ever given twice (not
-- even to a workspace made again with a deleted one's ID). Store.Access keeps
-- what it read keyed by the stamp, so a repeated check reads only the stamp.
-- Triggers keep it, so changes made by hand in SQL count too. Stamps come from
-- one counter row; SQLite has one writer at a time, so it is no bottleneck.

CREATE TABLE access_stamp (
	id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
) STRICT;

ALTER TABLE workspaces ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;

-- Existing rows: rowids are distinct, and the counter starts past them.
UPDATE workspaces SET stamp = rowid;
INSERT INTO access_stamp (id, n) VALUES (1, coalesce((SELECT max(stamp) FROM workspaces), 0));

CREATE TRIGGER workspaces_stamp_insert AFTER INSERT ON workspaces BEGIN
	UPDATE access_stamp SET n = n + 1;
	UPDATE workspaces SET stamp = (SELECT n FROM access_stamp) WHERE id = NEW.id;
END;

-- Every column but stamp, so the trigger's own update does not fire it. A
-- migration that adds a column to workspaces must add it here too
-- (TestStampTriggerColumns fails until it does).
CREATE TRIGGER workspaces_stamp_update
AFTER UPDATE OF id, name, kind, plan, owner, billing_contact, guests_disabled, created, anchor, version
ON workspaces BEGIN
	UPDATE access_stamp SET n = n + 1;
	UPDATE workspaces SET stamp = (SELECT n FROM access_stamp) WHERE id = NEW.id;
END;

CREATE TRIGGER members_stamp_insert AFTER INSERT ON members BEGIN
	UPDATE access_stamp SET n = n + 1;
	UPDATE workspaces SET stamp = (SELECT n FROM access_stamp) WHERE id = NEW.workspace;
END;

CREATE TRIGGER members_stamp_update AFTER UPDATE ON members BEGIN
	UPDATE access_stamp SET n = n + 1;
	UPDATE workspaces SET stamp = (SELECT n FROM access_stamp) WHERE id IN (OLD.workspace, NEW.workspace);
END;

-- A member deleted by its workspace's deletion finds no row to stamp.
CREATE TRIGGER members_stamp_delete AFTER DELETE ON members BEGIN
	UPDATE access_stamp SET n = n + 1;
	UPDATE workspaces SET stamp = (SELECT n FROM access_stamp) WHERE id = OLD.workspace;
END;
