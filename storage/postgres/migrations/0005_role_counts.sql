-- charter schema, version 5: members counted by role, and a role's earliest
-- members found by index.
--
-- A membership change reads how many members hold each role (the plan's
-- limits, the owner's and the admins' rules) and, in a workspace without an
-- owner, the earliest admins (its billing contact): neither may grow with
-- the workspace's members. member_counts holds the counts; statement
-- triggers with transition tables keep them, so COPY and changes made by
-- hand in SQL count too (the note of version 2 on disabled triggers holds
-- here as well). A count that reaches 0 stays as a row of 0; reads skip it.

CREATE TABLE member_counts (
	workspace text   NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	role      text   NOT NULL,
	n         bigint NOT NULL CHECK (n >= 0),
	PRIMARY KEY (workspace, role)
);

INSERT INTO member_counts (workspace, role, n)
SELECT workspace, role, count(*) FROM members GROUP BY workspace, role;

-- Counts are raised by an upsert, in a fixed order (workspace, role), and
-- lowered by an update (an insert's row must pass the check before its
-- conflict is found). The Service changes a workspace's members only under
-- the lock of its row, so no two of its statements race for the counts.
CREATE FUNCTION member_counts_add(ws text[], roles text[], ns bigint[]) RETURNS void LANGUAGE sql AS $$
	INSERT INTO member_counts AS c (workspace, role, n)
	SELECT d.workspace, d.role, d.n FROM unnest(ws, roles, ns) AS d (workspace, role, n)
	WHERE d.n > 0 AND EXISTS (SELECT 1 FROM workspaces w WHERE w.id = d.workspace)
	ORDER BY d.workspace, d.role
	ON CONFLICT (workspace, role) DO UPDATE SET n = c.n + excluded.n;
	UPDATE member_counts AS c SET n = c.n + d.n
	FROM (SELECT * FROM unnest(ws, roles, ns) AS u (workspace, role, n) WHERE u.n < 0 ORDER BY 1, 2) AS d
	WHERE c.workspace = d.workspace AND c.role = d.role;
$$;

CREATE FUNCTION members_counted_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM member_counts_add(array_agg(workspace), array_agg(role), array_agg(n))
	FROM (SELECT workspace, role, count(*) AS n FROM new_rows GROUP BY workspace, role) d;
	RETURN NULL;
END
$$;

CREATE FUNCTION members_counted_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM member_counts_add(array_agg(workspace), array_agg(role), array_agg(n))
	FROM (SELECT workspace, role, sum(n)::bigint AS n FROM (
		SELECT workspace, role, 1 AS n FROM new_rows
		UNION ALL
		SELECT workspace, role, -1 AS n FROM old_rows
	) x GROUP BY workspace, role HAVING sum(n) <> 0) d;
	RETURN NULL;
END
$$;

CREATE FUNCTION members_counted_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM member_counts_add(array_agg(workspace), array_agg(role), array_agg(-n))
	FROM (SELECT workspace, role, count(*) AS n FROM old_rows GROUP BY workspace, role) d;
	RETURN NULL;
END
$$;

CREATE TRIGGER members_counted_insert AFTER INSERT ON members
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION members_counted_insert();

CREATE TRIGGER members_counted_update AFTER UPDATE ON members
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION members_counted_update();

CREATE TRIGGER members_counted_delete AFTER DELETE ON members
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION members_counted_delete();

-- TRUNCATE fires no row or transition triggers: it empties the counts.
CREATE FUNCTION members_counted_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM member_counts;
	RETURN NULL;
END
$$;

CREATE TRIGGER members_counted_truncate AFTER TRUNCATE ON members
	FOR EACH STATEMENT EXECUTE FUNCTION members_counted_truncate();

CREATE INDEX members_role ON members (workspace, role, joined, user_id);

DO $$
BEGIN
	EXECUTE format('ALTER FUNCTION member_counts_add(text[], text[], bigint[]) SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_counted_insert() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_counted_update() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_counted_delete() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_counted_truncate() SET search_path = %I, pg_temp', current_schema());
END
$$;

-- The access stamp of version 2 was taken per member row: a statement that
-- wrote many members of one workspace (an import's COPY of a large
-- workspace) updated its workspace row once per member, which costs a row
-- version each. It is now taken once per workspace and statement, from the
-- same transition tables. Every statement that changes a member still
-- stamps its workspace, in the same transaction.
DROP TRIGGER members_stamp ON members;
DROP FUNCTION members_stamp();

CREATE FUNCTION members_stamp_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE workspaces SET stamp = 0 WHERE id IN (SELECT workspace FROM new_rows);
	RETURN NULL;
END
$$;

CREATE FUNCTION members_stamp_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE workspaces SET stamp = 0 WHERE id IN (SELECT workspace FROM old_rows);
	RETURN NULL;
END
$$;

CREATE FUNCTION members_stamp_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE workspaces SET stamp = 0
	WHERE id IN (SELECT workspace FROM old_rows UNION SELECT workspace FROM new_rows);
	RETURN NULL;
END
$$;

CREATE TRIGGER members_stamp_insert AFTER INSERT ON members
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION members_stamp_new();

CREATE TRIGGER members_stamp_update AFTER UPDATE ON members
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION members_stamp_both();

CREATE TRIGGER members_stamp_delete AFTER DELETE ON members
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION members_stamp_old();

DO $$
BEGIN
	EXECUTE format('ALTER FUNCTION members_stamp_new() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_stamp_old() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION members_stamp_both() SET search_path = %I, pg_temp', current_schema());
END
$$;
