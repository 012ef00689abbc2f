-- pigeon-media: media objects, their bytes stored once by content, thumbnails.

-- The bytes, content-addressed: the same file uploaded twice is one row.
-- STORAGE EXTERNAL keeps the value out of line and uncompressed (JPEG, Opus
-- and friends do not compress), so substring() for a Range reads only the
-- TOAST chunks it needs instead of the whole value.
CREATE TABLE media.blobs (
    sha256     text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       int8        NOT NULL CHECK (size > 0),
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE media.blobs ALTER COLUMN data SET STORAGE EXTERNAL;

-- One row per upload: its own id, uploader and time, over a shared blob.
CREATE TABLE media.objects (
    id          bigserial   PRIMARY KEY,
    uploader_id int8        NOT NULL CHECK (uploader_id > 0),
    kind        text        NOT NULL CHECK (kind IN ('image', 'voice')),
    mime        text        NOT NULL,
    size        int8        NOT NULL CHECK (size > 0),
    sha256      text        NOT NULL, -- no foreign key: blobs may live in another store (media_blobstore.h)
    width       int4        CHECK (width > 0),
    height      int4        CHECK (height > 0),
    duration_ms int8        CHECK (duration_ms >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- For a later sweep of blobs no object uses any more.
CREATE INDEX objects_sha256_idx ON media.objects (sha256);

-- Thumbnails by the blob they were made from, so identical images share one.
CREATE TABLE media.thumbnails (
    sha256     text        PRIMARY KEY,
    mime       text        NOT NULL,
    width      int4        NOT NULL,
    height     int4        NOT NULL,
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE media.thumbnails ALTER COLUMN data SET STORAGE EXTERNAL;
