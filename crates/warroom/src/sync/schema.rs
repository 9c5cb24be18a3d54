//! The hub's schema: warroom's own, in the schema `warroom`, created and migrated by
//! `warroom sync init-hub`. Migrations are append-only, as in SQLite: a released one is never
//! edited, a change is a new one at the end.

/// The channel a push (or a laptop arriving) announces itself on.
pub(super) const CHANNEL: &str = "warroom_events";
/// The advisory lock pushes (and migrations) hold while they write.
pub(super) const PUSH_LOCK: i64 = 0x5752_4d31;

/// Every migration of the hub's schema, oldest first. Append only.
pub(super) const MIGRATIONS: &[&str] = &["CREATE TABLE warroom.hub (
        id text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO warroom.hub (id) VALUES (gen_random_uuid()::text);
    CREATE TABLE warroom.events (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        incident text NOT NULL,
        at text NOT NULL,
        recorded_at text NOT NULL,
        origin text NOT NULL,
        actor text,
        device text NOT NULL,
        prev text,
        hash text NOT NULL,
        kind text NOT NULL,
        data text NOT NULL,
        pushed_by name NOT NULL DEFAULT current_user,
        pushed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX events_by_incident ON warroom.events (incident);
    CREATE TABLE warroom.samples (
        seq bigserial PRIMARY KEY,
        incident text NOT NULL,
        node text NOT NULL,
        metric text NOT NULL,
        at text NOT NULL,
        value double precision NOT NULL,
        UNIQUE (incident, node, metric, at)
    );
    CREATE TABLE warroom.presence (
        device text PRIMARY KEY,
        person text,
        incident text,
        app text NOT NULL,
        last_seen timestamptz NOT NULL DEFAULT now()
    );
    CREATE FUNCTION warroom.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the incident log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER events_are_never_changed BEFORE UPDATE OR DELETE ON warroom.events
        FOR EACH ROW EXECUTE FUNCTION warroom.refuse();
    CREATE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON warroom.events
        FOR EACH STATEMENT EXECUTE FUNCTION warroom.refuse();
    CREATE TRIGGER samples_are_never_changed BEFORE UPDATE OR DELETE ON warroom.samples
        FOR EACH ROW EXECUTE FUNCTION warroom.refuse();
    CREATE TRIGGER samples_are_never_truncated BEFORE TRUNCATE ON warroom.samples
        FOR EACH STATEMENT EXECUTE FUNCTION warroom.refuse();
    CREATE FUNCTION warroom.announce() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('warroom_events', TG_TABLE_NAME);
        RETURN NULL;
    END $$;
    CREATE TRIGGER events_are_announced AFTER INSERT ON warroom.events
        FOR EACH STATEMENT EXECUTE FUNCTION warroom.announce();"];

/// What an admin runs once, after `warroom sync init-hub`, to let responders in.
pub const GRANTS: &str = "\
-- Run once as the hub's admin (the owner of schema warroom), after `warroom sync init-hub`.
-- Responders may read and append events, never change or delete them: they get no UPDATE or
-- DELETE on events or samples, and triggers refuse both (and TRUNCATE) to everyone, the owner
-- included. Each laptop's events are also chained by hash: a change made anyway is detected.
DO $$ BEGIN
    CREATE ROLE warroom_responder NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
GRANT USAGE ON SCHEMA warroom TO warroom_responder;
GRANT SELECT ON warroom.hub, warroom.migrations TO warroom_responder;
GRANT SELECT, INSERT ON warroom.events, warroom.samples TO warroom_responder;
GRANT SELECT, INSERT, UPDATE ON warroom.presence TO warroom_responder;
GRANT USAGE ON SEQUENCE warroom.events_seq_seq, warroom.samples_seq_seq TO warroom_responder;
-- Then one login per responder; the password goes into their keyring or environment
-- (password_keyring / password_env in warroom.toml), never into the file:
-- CREATE ROLE mina LOGIN PASSWORD 'choose-one' IN ROLE warroom_responder;
";
