-- charter schema, version 4: a workspace's logo and the application's
-- preferences.
--
-- logo is a URL, '' for none. preferences is a JSON object of string values
-- with its keys sorted, '' for none: text, as SQLite keeps it, since charter
-- never queries inside it. Existing workspaces get neither. The stamp
-- trigger of version 2 fires on every update of a row, so these columns
-- need nothing more.

ALTER TABLE workspaces ADD COLUMN logo text NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN preferences text NOT NULL DEFAULT '';
