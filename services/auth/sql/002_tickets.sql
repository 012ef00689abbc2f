-- pigeon-auth: single-use WebSocket tickets (POST /v1/ws/ticket).
--
-- A browser cannot set headers on a WebSocket, so it trades its token for a
-- ticket valid 60 s and puts that in the URL instead. Only the SHA-256 of a
-- ticket is stored; redeeming deletes the row, so a ticket works once. A
-- ticket belongs to the session it was made from: logging that session out
-- (or its sweep) ends its tickets, and the socket opened with one is closed
-- by that session's revoked/ event.
CREATE TABLE auth.ws_tickets (
    ticket_hash  bytea PRIMARY KEY
                 CONSTRAINT ws_tickets_hash_length CHECK (octet_length(ticket_hash) = 32),
    session_hash bytea NOT NULL REFERENCES auth.sessions (token_hash) ON DELETE CASCADE,
    expires_at   timestamptz NOT NULL
);

-- For the sweep of tickets never redeemed.
CREATE INDEX ws_tickets_expires_at_idx ON auth.ws_tickets (expires_at);
CREATE INDEX ws_tickets_session_hash_idx ON auth.ws_tickets (session_hash);
