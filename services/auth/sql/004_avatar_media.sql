-- auth.avatar_in_use asks "is media M some user's avatar?" on every avatar
-- download by someone other than its uploader: an index, not a scan.
CREATE INDEX users_avatar_idx ON auth.users (avatar_media_id) WHERE avatar_media_id IS NOT NULL;
