-- charter schema, version 1.
--
-- Rows a workspace owns reference it with ON DELETE CASCADE; events and
-- journal entries are the audit trail and reference nothing. Tables are
-- created in the current schema (the first of search_path).

CREATE TABLE workspaces (
	id              text        NOT NULL PRIMARY KEY,
	name            text        NOT NULL,
	kind            text        NOT NULL,
	plan            text        NOT NULL,
	owner           text        NOT NULL, -- the one owner, on the row itself
	billing_contact text        NOT NULL,
	guests_disabled boolean     NOT NULL,
	created         timestamptz NOT NULL,
	anchor          timestamptz NOT NULL,
	version         bigint      NOT NULL CHECK (version >= 1)
);

-- One personal workspace per user.
CREATE UNIQUE INDEX workspaces_personal ON workspaces (owner) WHERE kind = 'personal';
CREATE INDEX workspaces_owner ON workspaces (owner, kind);

CREATE TABLE members (
	workspace text        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id   text        NOT NULL,
	role      text        NOT NULL,
	projects  text[],
	joined    timestamptz NOT NULL,
	seat_since timestamptz NOT NULL, -- the paid seat's start; year 1 when none
	PRIMARY KEY (workspace, user_id)
);

CREATE INDEX members_user ON members (user_id, workspace);

CREATE TABLE invitations (
	id         text        NOT NULL PRIMARY KEY,
	workspace  text        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	is_link    boolean     NOT NULL,
	email      text        NOT NULL,
	role       text        NOT NULL,
	projects   text[],
	inviter    text        NOT NULL,
	token_hash text        NOT NULL UNIQUE,
	created    timestamptz NOT NULL,
	expires    timestamptz NOT NULL,
	max_uses   bigint      NOT NULL,
	uses       bigint      NOT NULL,
	revoked    boolean     NOT NULL
);

CREATE INDEX invitations_workspace ON invitations (workspace, created, id);

-- The event sequence: one row, incremented inside the writing transaction
-- and locked until it commits, so numbers are gapless and in commit order.
CREATE TABLE event_seq (
	id integer NOT NULL PRIMARY KEY CHECK (id = 1),
	n  bigint  NOT NULL
);

INSERT INTO event_seq (id, n) VALUES (1, 0);

CREATE TABLE events (
	seq         bigint      NOT NULL PRIMARY KEY,
	workspace   text        NOT NULL,
	actor       text        NOT NULL,
	event_type  text        NOT NULL,
	subject     text        NOT NULL,
	before_json text        NOT NULL,
	after_json  text        NOT NULL,
	amount      bigint      NOT NULL,
	currency    text        NOT NULL,
	at          timestamptz NOT NULL
);

CREATE INDEX events_workspace ON events (workspace, seq);

CREATE TABLE pools (
	workspace text   NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	currency  text   NOT NULL,
	started   boolean NOT NULL,
	period    bigint NOT NULL,
	version   bigint NOT NULL CHECK (version >= 1),
	PRIMARY KEY (workspace, currency)
);

CREATE TABLE grants (
	workspace text        NOT NULL,
	currency  text        NOT NULL,
	id        text        NOT NULL,
	source    text        NOT NULL,
	amount    bigint      NOT NULL,
	remaining bigint      NOT NULL,
	priority  bigint      NOT NULL,
	expires   timestamptz NOT NULL,
	created   timestamptz NOT NULL,
	PRIMARY KEY (workspace, currency, id),
	FOREIGN KEY (workspace, currency) REFERENCES pools (workspace, currency) ON DELETE CASCADE,
	CONSTRAINT grants_remaining CHECK (remaining >= 0 AND remaining <= amount)
);

CREATE TABLE allowances (
	workspace text   NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	currency  text   NOT NULL,
	member    text   NOT NULL,
	amount    bigint NOT NULL,
	period    bigint NOT NULL,
	spent     bigint NOT NULL,
	PRIMARY KEY (workspace, currency, member)
);

-- The journal's per-pool sequence. It outlives the pool, as the journal
-- does, so numbers never repeat.
CREATE TABLE journal_seq (
	workspace text   NOT NULL,
	currency  text   NOT NULL,
	n         bigint NOT NULL,
	PRIMARY KEY (workspace, currency)
);

CREATE TABLE journal (
	workspace   text        NOT NULL,
	currency    text        NOT NULL,
	seq         bigint      NOT NULL,
	kind        text        NOT NULL,
	grant_id    text        NOT NULL,
	amount      bigint      NOT NULL,
	member      text        NOT NULL,
	action_name text        NOT NULL,
	idem_key    text        NOT NULL,
	period      bigint      NOT NULL,
	at          timestamptz NOT NULL,
	expires     timestamptz NOT NULL, -- of the lot the entry creates; year 1 when none
	PRIMARY KEY (workspace, currency, seq)
);

CREATE TABLE idempotency (
	workspace   text        NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	idem_key    text        NOT NULL,
	fingerprint text        NOT NULL,
	result      text        NOT NULL,
	created     timestamptz NOT NULL,
	PRIMARY KEY (workspace, idem_key)
);
