-- charter schema, version 5: a workspace's logo and the application's
-- preferences.
--
-- logo is a URL, '' for none. preferences is a JSON object of string values
-- with its keys sorted, '' for none. Existing workspaces get neither.

ALTER TABLE workspaces ADD COLUMN logo TEXT NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN preferences TEXT NOT NULL DEFAULT '';

-- The stamp trigger of version 2 names every column but stamp: it is made
-- again with the new ones, so a change of logo or preferences takes a new
-- stamp too.
DROP TRIGGER workspaces_stamp_update;

CREATE TRIGGER workspaces_stamp_update
AFTER UPDATE OF id, name, kind, plan, owner, billing_contact, guests_disabled, created, anchor, version, logo, preferences
ON workspaces BEGIN
	UPDATE access_stamp SET n = n + 1;
	UPDATE workspaces SET stamp = (SELECT n FROM access_stamp) WHERE id = NEW.id;
END;
