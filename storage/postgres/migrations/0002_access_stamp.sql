-- charter schema, version 2: access stamps.
--
-- A workspace's stamp changes, in the same transaction, with every change to
-- its row or to any of its members, and no stamp is ever given twice (not
-- even to a workspace made again with a deleted one's ID). Store.Access keeps
-- what it read keyed by the stamp, so a repeated check reads only the stamp.
-- Triggers keep it, so changes made by hand in SQL count too.

CREATE SEQUENCE access_stamps;

-- Existing rows each take a new value of the sequence.
ALTER TABLE workspaces ADD COLUMN stamp bigint NOT NULL DEFAULT nextval('access_stamps');

-- The functions resolve access_stamps and workspaces in the schema they were
-- made in, whatever a session's search_path.
CREATE FUNCTION workspaces_stamp() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
	NEW.stamp := nextval('access_stamps');
	RETURN NEW;
END
$$;

CREATE TRIGGER workspaces_stamp BEFORE UPDATE ON workspaces
	FOR EACH ROW EXECUTE FUNCTION workspaces_stamp();

-- A membership change updates its workspace's row, which workspaces_stamp
-- then stamps. A member deleted by its workspace's deletion finds no row.
CREATE FUNCTION members_stamp() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		UPDATE workspaces SET stamp = 0 WHERE id = OLD.workspace;
	END IF;
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.workspace <> OLD.workspace) THEN
		UPDATE workspaces SET stamp = 0 WHERE id = NEW.workspace;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER members_stamp AFTER INSERT OR UPDATE OR DELETE ON members
	FOR EACH ROW EXECUTE FUNCTION members_stamp();
