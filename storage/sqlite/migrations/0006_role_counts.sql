-- charter schema, version 6: members counted by role, and a role's earliest
-- members found by index.
--
-- A membership change reads how many members hold each role (the plan's
-- limits, the owner's and the admins' rules) and, in a workspace without an
-- owner, the earliest admins (its billing contact): neither may grow with
-- the workspace's members. member_counts holds the counts; triggers keep
-- them, so changes made by hand in SQL count too. A count that reaches 0
-- stays as a row of 0; reads skip it.

CREATE TABLE member_counts (
	workspace TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	role      TEXT    NOT NULL,
	n         INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (workspace, role)
) STRICT;

INSERT INTO member_counts (workspace, role, n)
SELECT workspace, role, count(*) FROM members GROUP BY workspace, role;

CREATE TRIGGER members_counted_insert AFTER INSERT ON members BEGIN
	INSERT INTO member_counts (workspace, role, n) VALUES (NEW.workspace, NEW.role, 1)
	ON CONFLICT (workspace, role) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER members_counted_update AFTER UPDATE OF workspace, role ON members
WHEN OLD.workspace IS NOT NEW.workspace OR OLD.role IS NOT NEW.role
BEGIN
	UPDATE member_counts SET n = n - 1 WHERE workspace = OLD.workspace AND role = OLD.role;
	INSERT INTO member_counts (workspace, role, n) VALUES (NEW.workspace, NEW.role, 1)
	ON CONFLICT (workspace, role) DO UPDATE SET n = n + 1;
END;

-- A member deleted by its workspace's deletion finds its count deleted too.
CREATE TRIGGER members_counted_delete AFTER DELETE ON members BEGIN
	UPDATE member_counts SET n = n - 1 WHERE workspace = OLD.workspace AND role = OLD.role;
END;

CREATE INDEX members_role ON members (workspace, role, joined, user_id);
