-- charter schema, version 3: an index of the invitations that can still be
-- accepted, so that counting a workspace's pending invitations (which every
-- invitation, acceptance and role change does) does not read the ones used
-- up or revoked, which pile up over a workspace's life.

CREATE INDEX invitations_pending ON invitations (workspace, expires)
	WHERE revoked = 0 AND uses < max_uses;
