-- charter schema, version 2: access stamps.
--
-- A workspace's stamp changes, in the same transaction, with every change to
-- its row or to any of its members, and no stamp is ever given twice (not
-- even to a workspace made again with a deleted one's ID, or put back from a
-- copy). Store.Access keeps what it read keyed by the stamp, so a repeated
-- check reads only the stamp. Triggers keep it, so changes made by hand in
-- SQL count too; a session that disables triggers (session_replication_role
-- = replica, ALTER TABLE ... DISABLE TRIGGER) must not change these tables.

CREATE SEQUENCE access_stamps;

-- Existing rows each take a new value of the sequence.
ALTER TABLE workspaces ADD COLUMN stamp bigint NOT NULL DEFAULT nextval('access_stamps');

-- Every insert and update takes a new stamp, whatever stamp it names.
CREATE FUNCTION workspaces_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.stamp := nextval('access_stamps');
	RETURN NEW;
END
$$;

CREATE TRIGGER workspaces_stamp BEFORE INSERT OR UPDATE ON workspaces
	FOR EACH ROW EXECUTE FUNCTION workspaces_stamp();

-- A membership change updates its workspace's row, which workspaces_stamp
-- then stamps. A member deleted by its workspace's deletion finds no row.
CREATE FUNCTION members_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- TRUNCATE fires no row triggers: it stamps every workspace.
CREATE FUNCTION members_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE workspaces SET stamp = 0;
	RETURN NULL;
END
$$;

CREATE TRIGGER members_truncated AFTER TRUNCATE ON members
	FOR EACH STATEMENT EXECUTE FUNCTION members_truncated();

-- The functions find access_stamps and workspaces in this schema, whatever
-- the search_path of the session that fires them; pg_temp comes last, so a
-- temporary table named workspaces cannot stand in for the real one.
DO $$
BEGIN
	EXECUTE format('ALTER FUNCTION workspaces_stamp() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_stamp() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_truncated() SET search_path = %I, pg_temp', current_schema());
END
$$;
