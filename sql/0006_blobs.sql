-- 0006_blobs: blobs in the object store (docs/api.md "Blobs",
-- docs/operations.md "Object store"). A row is what authorises a URL;
-- the bytes never pass through passiond or nginx.

-- What the routes need of a blob: the file name it is downloaded as,
-- a multipart upload in progress (its id and part size), when it became
-- ready, and a list index newest first.
ALTER TABLE blobs
	ADD COLUMN name text NOT NULL DEFAULT '' CHECK (length(name) <= 255),
	ADD COLUMN upload_id text,
	ADD COLUMN part_size bigint CHECK (part_size > 0),
	ADD COLUMN ready_at timestamptz,
	ADD CONSTRAINT blobs_id_user UNIQUE (id, user_id);
ALTER TABLE blobs ALTER COLUMN name DROP DEFAULT;
CREATE INDEX idx_blobs_list ON blobs (user_id, created_at DESC, id DESC);

-- A reference track's audio and a project's cover are blobs of the same
-- user (the pair makes that a rule of the database). A blob in use
-- cannot be deleted on its own; deleting its track or project takes it.
ALTER TABLE reference_tracks
	ADD COLUMN blob_id uuid,
	ADD FOREIGN KEY (blob_id, user_id) REFERENCES blobs (id, user_id);
CREATE UNIQUE INDEX idx_reference_tracks_blob ON reference_tracks (blob_id);
ALTER TABLE projects
	ADD COLUMN cover_blob_id uuid,
	ADD FOREIGN KEY (cover_blob_id, user_id) REFERENCES blobs (id, user_id);
CREATE UNIQUE INDEX idx_projects_cover ON projects (cover_blob_id);

-- Objects to remove from the store: written in the transaction that
-- drops their rows (a track, a library, a project, an account), removed
-- by the jobs worker after commit (DeleteObjects in batches) and retried
-- by `passionctl maintain`. Not under row-level security: its rows
-- outlive their user (an account's deletion), and hold only keys.
CREATE TABLE blob_deletions (
	object_key	text PRIMARY KEY,
	upload_id	text,		-- a multipart upload to abort
	queued_at	timestamptz NOT NULL DEFAULT now(),
	attempts	integer NOT NULL DEFAULT 0,
	last_error	text
);
GRANT SELECT, INSERT, UPDATE, DELETE ON blob_deletions TO passion_app;

-- The jobs worker drains blob_deletions.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
	CHECK (kind IN ('mail', 'blob_delete'));
