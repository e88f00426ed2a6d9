-- charter schema, version 1.
--
-- Times are INTEGER microseconds since the Unix epoch, UTC. Booleans are
-- INTEGER 0 or 1. Lists of projects are JSON arrays, or NULL when empty.
-- Rows a workspace owns reference it with ON DELETE CASCADE; events and
-- journal entries are the audit trail and reference nothing.

CREATE TABLE workspaces (
	id              TEXT    NOT NULL PRIMARY KEY,
	name            TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	plan            TEXT    NOT NULL,
	owner           TEXT    NOT NULL, -- the one owner, on the row itself
	billing_contact TEXT    NOT NULL,
	guests_disabled INTEGER NOT NULL CHECK (guests_disabled IN (0, 1)),
	created         INTEGER NOT NULL,
	anchor          INTEGER NOT NULL,
	version         INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

-- One personal workspace per user.
CREATE UNIQUE INDEX workspaces_personal ON workspaces (owner) WHERE kind = 'personal';
CREATE INDEX workspaces_owner ON workspaces (owner, kind);

CREATE TABLE members (
	workspace TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id   TEXT    NOT NULL,
	role      TEXT    NOT NULL,
	projects  TEXT,
	joined    INTEGER NOT NULL,
	seat_since INTEGER NOT NULL, -- micros of the paid seat's start; year 1 when none
	PRIMARY KEY (workspace, user_id)
) STRICT;

CREATE INDEX members_user ON members (user_id, workspace);

CREATE TABLE invitations (
	id         TEXT    NOT NULL PRIMARY KEY,
	workspace  TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	is_link    INTEGER NOT NULL CHECK (is_link IN (0, 1)),
	email      TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	projects   TEXT,
	inviter    TEXT    NOT NULL,
	token_hash TEXT    NOT NULL UNIQUE,
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	max_uses   INTEGER NOT NULL,
	uses       INTEGER NOT NULL,
	revoked    INTEGER NOT NULL CHECK (revoked IN (0, 1))
) STRICT;

CREATE INDEX invitations_workspace ON invitations (workspace, created, id);

-- The event sequence: one row, incremented inside the writing transaction,
-- so a rolled-back transaction uses up no number.
CREATE TABLE event_seq (
	id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
) STRICT;

INSERT INTO event_seq (id, n) VALUES (1, 0);

CREATE TABLE events (
	seq         INTEGER NOT NULL PRIMARY KEY,
	workspace   TEXT    NOT NULL,
	actor       TEXT    NOT NULL,
	event_type  TEXT    NOT NULL,
	subject     TEXT    NOT NULL,
	before_json TEXT    NOT NULL,
	after_json  TEXT    NOT NULL,
	amount      INTEGER NOT NULL,
	currency    TEXT    NOT NULL,
	at          INTEGER NOT NULL
) STRICT;

CREATE INDEX events_workspace ON events (workspace, seq);

CREATE TABLE pools (
	workspace TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	currency  TEXT    NOT NULL,
	started   INTEGER NOT NULL CHECK (started IN (0, 1)),
	period    INTEGER NOT NULL,
	version   INTEGER NOT NULL CHECK (version >= 1),
	PRIMARY KEY (workspace, currency)
) STRICT;

CREATE TABLE grants (
	workspace TEXT    NOT NULL,
	currency  TEXT    NOT NULL,
	id        TEXT    NOT NULL,
	source    TEXT    NOT NULL,
	amount    INTEGER NOT NULL,
	remaining INTEGER NOT NULL,
	priority  INTEGER NOT NULL,
	expires   INTEGER NOT NULL,
	created   INTEGER NOT NULL,
	PRIMARY KEY (workspace, currency, id),
	FOREIGN KEY (workspace, currency) REFERENCES pools (workspace, currency) ON DELETE CASCADE,
	CONSTRAINT grants_remaining CHECK (remaining >= 0 AND remaining <= amount)
) STRICT;

CREATE TABLE allowances (
	workspace TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	currency  TEXT    NOT NULL,
	member    TEXT    NOT NULL,
	amount    INTEGER NOT NULL,
	period    INTEGER NOT NULL,
	spent     INTEGER NOT NULL,
	PRIMARY KEY (workspace, currency, member)
) STRICT;

CREATE TABLE journal (
	workspace   TEXT    NOT NULL,
	currency    TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	kind        TEXT    NOT NULL,
	grant_id    TEXT    NOT NULL,
	amount      INTEGER NOT NULL,
	member      TEXT    NOT NULL,
	action_name TEXT    NOT NULL,
	idem_key    TEXT    NOT NULL,
	period      INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	expires     INTEGER NOT NULL, -- of the lot the entry creates; year 1 when none
	PRIMARY KEY (workspace, currency, seq)
) STRICT;

CREATE TABLE idempotency (
	workspace   TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	idem_key    TEXT    NOT NULL,
	fingerprint TEXT    NOT NULL,
	result      TEXT    NOT NULL,
	created     INTEGER NOT NULL,
	PRIMARY KEY (workspace, idem_key)
) STRICT;
