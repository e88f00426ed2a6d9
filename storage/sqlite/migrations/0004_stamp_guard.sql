-- charter schema, version 4: an access stamp cannot be written back.
--
-- Store.Access keeps what it read keyed by the workspace's stamp, which the
-- triggers of version 2 give anew, from the counter, with every change. An
-- UPDATE of the stamp column alone fired none of them, so writing an old
-- stamp back by hand after a change (a demotion, say) made Access answer
-- from what it had kept at that stamp. Now, as on PostgreSQL, where every
-- write of a workspace row takes a new stamp, any write that leaves a row
-- with another stamp than the one the counter gave last takes a new one;
-- and the counter only moves forward, so no stamp is given twice.

-- The stamp triggers' own writes set the counter's latest value, so they do
-- not fire this one's body.
CREATE TRIGGER workspaces_stamp_written AFTER UPDATE OF stamp ON workspaces
WHEN NEW.stamp IS NOT (SELECT n FROM access_stamp)
BEGIN
	UPDATE access_stamp SET n = n + 1;
	UPDATE workspaces SET stamp = (SELECT n FROM access_stamp) WHERE id = NEW.id;
END;

CREATE TRIGGER access_stamp_forward BEFORE UPDATE ON access_stamp
WHEN NEW.n < OLD.n OR NEW.id IS NOT OLD.id
BEGIN
	SELECT RAISE(ABORT, 'access_stamp: the counter only moves forward');
END;

-- INSERT OR REPLACE would delete the row without firing a delete trigger.
CREATE TRIGGER access_stamp_insert BEFORE INSERT ON access_stamp
WHEN EXISTS (SELECT 1 FROM access_stamp)
BEGIN
	SELECT RAISE(ABORT, 'access_stamp: the counter has one row');
END;

CREATE TRIGGER access_stamp_delete BEFORE DELETE ON access_stamp
BEGIN
	SELECT RAISE(ABORT, 'access_stamp: the counter row stays');
END;
