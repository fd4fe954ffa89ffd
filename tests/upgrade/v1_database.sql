--
-- PostgreSQL database dump
--

\restrict hUyRSSta2astbljHsazXJK2QhQLeFr2dSOS0LMfGp7lkcSIvPkTEFeyiYDVqTgJ

-- Dumped from database version 18.4
-- Dumped by pg_dump version 18.4

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: wijklab_v1; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA wijklab_v1;


--
-- Name: wijklab_v1_read; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA wijklab_v1_read;


--
-- Name: wijklab_v1_read_1; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA wijklab_v1_read_1;


--
-- Name: stored_event_uuid; Type: TYPE; Schema: wijklab_v1; Owner: -
--

CREATE TYPE wijklab_v1.stored_event_uuid AS (
	originator_id uuid,
	originator_version bigint,
	topic text,
	state bytea
);


--
-- Name: es_insert_events_uuid(wijklab_v1.stored_event_uuid[]); Type: FUNCTION; Schema: wijklab_v1; Owner: -
--

CREATE FUNCTION wijklab_v1.es_insert_events_uuid(events wijklab_v1.stored_event_uuid[]) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $$BEGIN    SET LOCAL lock_timeout = '0s';    NOTIFY "experiments_events";    RETURN QUERY    INSERT INTO "wijklab_v1"."experiments_events" AS t (    originator_id, originator_version, topic, state)    SELECT originator_id, originator_version, topic, state    FROM unnest(events)    RETURNING notification_id;END;$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: access_records; Type: TABLE; Schema: wijklab_v1; Owner: -
--

CREATE TABLE wijklab_v1.access_records (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    key_id uuid NOT NULL,
    actor_id text NOT NULL,
    role text NOT NULL,
    reader_municipality text NOT NULL,
    municipality text NOT NULL,
    action text NOT NULL,
    experiment_id uuid,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL
);


--
-- Name: access_records_id_seq; Type: SEQUENCE; Schema: wijklab_v1; Owner: -
--

CREATE SEQUENCE wijklab_v1.access_records_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: access_records_id_seq; Type: SEQUENCE OWNED BY; Schema: wijklab_v1; Owner: -
--

ALTER SEQUENCE wijklab_v1.access_records_id_seq OWNED BY wijklab_v1.access_records.id;


--
-- Name: api_keys; Type: TABLE; Schema: wijklab_v1; Owner: -
--

CREATE TABLE wijklab_v1.api_keys (
    id uuid NOT NULL,
    token_sha256 text NOT NULL,
    role text NOT NULL,
    municipality text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    person_id text
);


--
-- Name: experiments_events; Type: TABLE; Schema: wijklab_v1; Owner: -
--

CREATE TABLE wijklab_v1.experiments_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigint NOT NULL
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: experiments_events_notification_id_seq; Type: SEQUENCE; Schema: wijklab_v1; Owner: -
--

CREATE SEQUENCE wijklab_v1.experiments_events_notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: experiments_events_notification_id_seq; Type: SEQUENCE OWNED BY; Schema: wijklab_v1; Owner: -
--

ALTER SEQUENCE wijklab_v1.experiments_events_notification_id_seq OWNED BY wijklab_v1.experiments_events.notification_id;


--
-- Name: integrations; Type: TABLE; Schema: wijklab_v1; Owner: -
--

CREATE TABLE wijklab_v1.integrations (
    name text NOT NULL,
    municipality text NOT NULL,
    secret bytea NOT NULL,
    previous_secret bytea,
    previous_valid_until timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    rotated_at timestamp with time zone,
    revoked_at timestamp with time zone
);


--
-- Name: people; Type: TABLE; Schema: wijklab_v1; Owner: -
--

CREATE TABLE wijklab_v1.people (
    person_id text NOT NULL,
    municipality text NOT NULL,
    profile text,
    lookup text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    erased_at timestamp with time zone,
    erased_by text
);


--
-- Name: person_keys; Type: TABLE; Schema: wijklab_v1; Owner: -
--

CREATE TABLE wijklab_v1.person_keys (
    person_id text NOT NULL,
    key bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: read_models; Type: TABLE; Schema: wijklab_v1; Owner: -
--

CREATE TABLE wijklab_v1.read_models (
    serving text NOT NULL,
    physical text,
    building text,
    generation integer DEFAULT 0 NOT NULL,
    switched_at timestamp with time zone,
    shape integer
);


--
-- Name: decisions; Type: TABLE; Schema: wijklab_v1_read_1; Owner: -
--

CREATE TABLE wijklab_v1_read_1.decisions (
    "position" bigint NOT NULL,
    experiment_id uuid NOT NULL,
    municipality text NOT NULL,
    version integer NOT NULL,
    decision_id text NOT NULL,
    type text NOT NULL,
    cycle integer NOT NULL,
    stage text NOT NULL,
    actor jsonb NOT NULL,
    rationale text NOT NULL,
    payload jsonb NOT NULL,
    source text NOT NULL,
    at timestamp with time zone NOT NULL,
    sealed jsonb NOT NULL,
    erased text[] NOT NULL,
    people text[] NOT NULL
);


--
-- Name: decisions; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read.decisions AS
 SELECT "position",
    experiment_id,
    municipality,
    version,
    decision_id,
    type,
    cycle,
    stage,
    actor,
    rationale,
    payload,
    source,
    at,
    sealed,
    erased,
    people
   FROM wijklab_v1_read_1.decisions;


--
-- Name: experiments; Type: TABLE; Schema: wijklab_v1_read_1; Owner: -
--

CREATE TABLE wijklab_v1_read_1.experiments (
    id uuid NOT NULL,
    municipality text NOT NULL,
    neighbourhood_code text NOT NULL,
    neighbourhood_name text NOT NULL,
    neighbourhood_kind text NOT NULL,
    title text NOT NULL,
    themes text[] NOT NULL,
    cycle integer NOT NULL,
    stage text NOT NULL,
    status text NOT NULL,
    outcome text,
    created_at timestamp with time zone NOT NULL,
    last_decision_at timestamp with time zone NOT NULL,
    "position" bigint NOT NULL,
    doc jsonb NOT NULL
);


--
-- Name: experiments; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read.experiments AS
 SELECT id,
    municipality,
    neighbourhood_code,
    neighbourhood_name,
    neighbourhood_kind,
    title,
    themes,
    cycle,
    stage,
    status,
    outcome,
    created_at,
    last_decision_at,
    "position",
    doc
   FROM wijklab_v1_read_1.experiments;


--
-- Name: lessons; Type: TABLE; Schema: wijklab_v1_read_1; Owner: -
--

CREATE TABLE wijklab_v1_read_1.lessons (
    "position" bigint NOT NULL,
    experiment_id uuid NOT NULL,
    municipality text NOT NULL,
    neighbourhood_code text NOT NULL,
    experiment_title text NOT NULL,
    cycle integer NOT NULL,
    decision_id text NOT NULL,
    text text NOT NULL,
    themes text[] NOT NULL,
    at timestamp with time zone NOT NULL,
    owner text,
    erased boolean NOT NULL,
    search tsvector GENERATED ALWAYS AS ((to_tsvector('dutch'::regconfig, text) || to_tsvector('english'::regconfig, text))) STORED
);


--
-- Name: lessons; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read.lessons AS
 SELECT "position",
    experiment_id,
    municipality,
    neighbourhood_code,
    experiment_title,
    cycle,
    decision_id,
    text,
    themes,
    at,
    owner,
    erased,
    search
   FROM wijklab_v1_read_1.lessons;


--
-- Name: neighbourhood_budget; Type: VIEW; Schema: wijklab_v1_read_1; Owner: -
--

CREATE VIEW wijklab_v1_read_1.neighbourhood_budget AS
 SELECT e.municipality,
    e.neighbourhood_code,
    (line.value ->> 'source'::text) AS source,
    sum(((line.value ->> 'amount_eur'::text))::numeric) AS amount_eur,
    count(DISTINCT e.id) AS experiments
   FROM wijklab_v1_read_1.experiments e,
    LATERAL jsonb_array_elements(((e.doc -> 'plan'::text) -> 'budget'::text)) line(value)
  GROUP BY e.municipality, e.neighbourhood_code, (line.value ->> 'source'::text);


--
-- Name: neighbourhood_budget; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read.neighbourhood_budget AS
 SELECT municipality,
    neighbourhood_code,
    source,
    amount_eur,
    experiments
   FROM wijklab_v1_read_1.neighbourhood_budget;


--
-- Name: neighbourhood_stages; Type: VIEW; Schema: wijklab_v1_read_1; Owner: -
--

CREATE VIEW wijklab_v1_read_1.neighbourhood_stages AS
 SELECT municipality,
    neighbourhood_code,
    min(neighbourhood_name) AS neighbourhood_name,
    min(neighbourhood_kind) AS neighbourhood_kind,
    stage,
    status,
    count(*) AS experiments
   FROM wijklab_v1_read_1.experiments
  GROUP BY municipality, neighbourhood_code, stage, status;


--
-- Name: neighbourhood_stages; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read.neighbourhood_stages AS
 SELECT municipality,
    neighbourhood_code,
    neighbourhood_name,
    neighbourhood_kind,
    stage,
    status,
    experiments
   FROM wijklab_v1_read_1.neighbourhood_stages;


--
-- Name: readmodels_tracking; Type: TABLE; Schema: wijklab_v1_read_1; Owner: -
--

CREATE TABLE wijklab_v1_read_1.readmodels_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: position; Type: VIEW; Schema: wijklab_v1_read_1; Owner: -
--

CREATE VIEW wijklab_v1_read_1."position" AS
 SELECT notification_id
   FROM wijklab_v1_read_1.readmodels_tracking
  WHERE (application_name = 'Experiments'::text);


--
-- Name: position; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read."position" AS
 SELECT notification_id
   FROM wijklab_v1_read_1."position";


--
-- Name: theme_lessons; Type: VIEW; Schema: wijklab_v1_read_1; Owner: -
--

CREATE VIEW wijklab_v1_read_1.theme_lessons AS
 SELECT lessons.municipality,
    theme.theme,
    count(*) AS lessons
   FROM wijklab_v1_read_1.lessons,
    LATERAL unnest(lessons.themes) theme(theme)
  GROUP BY lessons.municipality, theme.theme;


--
-- Name: theme_lessons; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read.theme_lessons AS
 SELECT municipality,
    theme,
    lessons
   FROM wijklab_v1_read_1.theme_lessons;


--
-- Name: theme_stages; Type: VIEW; Schema: wijklab_v1_read_1; Owner: -
--

CREATE VIEW wijklab_v1_read_1.theme_stages AS
 SELECT experiments.municipality,
    theme.theme,
    experiments.stage,
    experiments.status,
    count(*) AS experiments
   FROM wijklab_v1_read_1.experiments,
    LATERAL unnest(experiments.themes) theme(theme)
  GROUP BY experiments.municipality, theme.theme, experiments.stage, experiments.status;


--
-- Name: theme_stages; Type: VIEW; Schema: wijklab_v1_read; Owner: -
--

CREATE VIEW wijklab_v1_read.theme_stages AS
 SELECT municipality,
    theme,
    stage,
    status,
    experiments
   FROM wijklab_v1_read_1.theme_stages;


--
-- Name: access_records id; Type: DEFAULT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.access_records ALTER COLUMN id SET DEFAULT nextval('wijklab_v1.access_records_id_seq'::regclass);


--
-- Name: experiments_events notification_id; Type: DEFAULT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.experiments_events ALTER COLUMN notification_id SET DEFAULT nextval('wijklab_v1.experiments_events_notification_id_seq'::regclass);


--
-- Data for Name: access_records; Type: TABLE DATA; Schema: wijklab_v1; Owner: -
--

INSERT INTO wijklab_v1.access_records VALUES (1, '2026-12-02 01:12:14.180801+00', '96de3702-c4aa-4208-ad29-6f8cf979c4e4', 'prs_5af0ca709cc478b890e74bb649eb9cbe', 'programme_manager', 'oudestad', 'oudestad', 'history', '78fc8a07-4719-5f65-b316-c982767b1c29', '{}');


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: wijklab_v1; Owner: -
--

INSERT INTO wijklab_v1.api_keys VALUES ('96de3702-c4aa-4208-ad29-6f8cf979c4e4', 'bf90a82b38f507c0651bfd802a9a35f05333ed80c8bf84ff99c171fb9e0c6c0f', 'programme_manager', 'oudestad', '', '2026-12-02 01:12:14.099114+00', NULL, 'prs_5af0ca709cc478b890e74bb649eb9cbe');
INSERT INTO wijklab_v1.api_keys VALUES ('70785a93-2dc7-4c12-99d6-b02e5dd73544', 'ee497ed9d2efa2e374bcd58084fcb3ed215bf5022bdeca17a5465fac00fcc663', 'resident', 'oudestad', '', '2026-12-02 01:12:14.118212+00', NULL, 'prs_4705b6eb947b327b172ab8f852f0150f');
INSERT INTO wijklab_v1.api_keys VALUES ('956ed464-1936-436c-9444-2864246248b3', '68067bf3f3e4602386a16e82a8e1e0a4620816f1dbd5276bdc3dc5a0e4f39694', 'admin', 'oudestad', '', '2026-12-02 01:12:14.128567+00', NULL, 'prs_b19df58dbe27dfec5cf945f0b4029e5c');


--
-- Data for Name: experiments_events; Type: TABLE DATA; Schema: wijklab_v1; Owner: -
--

INSERT INTO wijklab_v1.experiments_events VALUES ('78fc8a07-4719-5f65-b316-c982767b1c29', 1, 'domain.experiment:Experiment.Started', '\x7b2274696d657374616d70223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032362d31322d30325430313a31323a31342e3134393632332b30303a3030227d2c226f726967696e61746f725f746f706963223a22646f6d61696e2e6578706572696d656e743a4578706572696d656e74222c226465636973696f6e5f6964223a2276312d7374617274222c226163746f72223a7b226964223a227072735f3561663063613730396363343738623839306537346262363439656239636265222c22726f6c65223a2270726f6772616d6d655f6d616e61676572222c226e616d65223a227365616c65643a76313a7072735f35616630636137303963633437386238393065373462623634396562396362653a744e3563765a524d6863383235672d526c3474717a4c3850302d4d7066665f794e5264756975355f78654d70716d796746413d3d227d2c22726174696f6e616c65223a224265776f6e6572732076726f6567656e206f6d2065656e2062757572746b616d65722e222c22736f75726365223a22617069222c227061796c6f6164223a7b226d756e69636970616c697479223a226f75646573746164222c226e65696768626f7572686f6f64223a7b22636f6465223a22574b303939393031222c226e616d65223a224f7564652057696a6b222c226b696e64223a2277696a6b227d2c227469746c65223a2245656e2070726f656620756974207665727369652031222c227175657374696f6e223a225765726b7420686574206e6f67206e6120646520757067726164653f222c227265736964656e74735f6167656e6461223a224265776f6e6572732076726f6567656e206f6d2065656e2062757572746b616d65722e222c227468656d6573223a5b22736f6369616c5f66756e6374696f6e696e67225d2c226163745f64617973223a39307d2c226379636c65223a312c227374616765223a22706c616e227d', 1);
INSERT INTO wijklab_v1.experiments_events VALUES ('78fc8a07-4719-5f65-b316-c982767b1c29', 2, 'domain.experiment:Experiment.PlanRevised', '\x7b2274696d657374616d70223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032362d31322d30325430313a31323a31342e3135383937332b30303a3030227d2c226465636973696f6e5f6964223a2276312d706c616e222c226163746f72223a7b226964223a227072735f3561663063613730396363343738623839306537346262363439656239636265222c22726f6c65223a2270726f6772616d6d655f6d616e61676572222c226e616d65223a227365616c65643a76313a7072735f35616630636137303963633437386238393065373462623634396562396362653a744e3563765a524d6863383235672d526c3474717a4c3850302d4d7066665f794e5264756975355f78654d70716d796746413d3d227d2c22726174696f6e616c65223a22696e206865742077696a6b6f7665726c6567222c22736f75726365223a22617069222c227061796c6f6164223a7b226465736372697074696f6e223a2245656e2062757572746b616d6572206f702064696e736461672e222c22696e64696361746f7273223a5b7b226e616d65223a2262657a6f656b65727320706572207765656b222c22746172676574223a223330227d5d2c22627564676574223a5b7b22736f75726365223a22736f636961616c20646f6d65696e222c22616d6f756e745f657572223a2231353030302e3030227d5d7d2c226379636c65223a312c227374616765223a22706c616e227d', 2);
INSERT INTO wijklab_v1.experiments_events VALUES ('78fc8a07-4719-5f65-b316-c982767b1c29', 3, 'domain.experiment:Experiment.PlanEndorsed', '\x7b2274696d657374616d70223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032362d31322d30325430313a31323a31342e3136353631322b30303a3030227d2c226465636973696f6e5f6964223a2276312d656e646f727365222c226163746f72223a7b226964223a227072735f3437303562366562393437623332376231373261623866383532663031353066222c22726f6c65223a227265736964656e74222c226e616d65223a227365616c65643a76313a7072735f34373035623665623934376233323762313732616238663835326630313530663a686b3344486b784346666c38704f5a46387a6237726558496b56774e525449555750716a5f33643266777178544b4147664b733d227d2c22726174696f6e616c65223a226265776f6e65727361766f6e643a2032312076616e20323520766f6f72222c22736f75726365223a22617069222c227061796c6f6164223a7b7d2c226379636c65223a312c227374616765223a22706c616e227d', 3);
INSERT INTO wijklab_v1.experiments_events VALUES ('78fc8a07-4719-5f65-b316-c982767b1c29', 4, 'domain.experiment:Experiment.Advanced', '\x7b2274696d657374616d70223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032362d31322d30325430313a31323a31342e3137303336352b30303a3030227d2c226465636973696f6e5f6964223a2276312d616374222c226163746f72223a7b226964223a227072735f3561663063613730396363343738623839306537346262363439656239636265222c22726f6c65223a2270726f6772616d6d655f6d616e61676572222c226e616d65223a227365616c65643a76313a7072735f35616630636137303963633437386238393065373462623634396562396362653a744e3563765a524d6863383235672d526c3474717a4c3850302d4d7066665f794e5264756975355f78654d70716d796746413d3d227d2c22726174696f6e616c65223a22696e206865742077696a6b6f7665726c6567222c22736f75726365223a22617069222c227061796c6f6164223a7b22746f223a22616374227d2c226379636c65223a312c227374616765223a22706c616e227d', 4);
INSERT INTO wijklab_v1.experiments_events VALUES ('78fc8a07-4719-5f65-b316-c982767b1c29', 5, 'domain.experiment:Experiment.FindingRecorded', '\x7b2274696d657374616d70223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032362d31322d30325430313a31323a31342e3137343234342b30303a3030227d2c226465636973696f6e5f6964223a2276312d66696e64696e67222c226163746f72223a7b226964223a227072735f3437303562366562393437623332376231373261623866383532663031353066222c22726f6c65223a227265736964656e74222c226e616d65223a227365616c65643a76313a7072735f34373035623665623934376233323762313732616238663835326630313530663a686b3344486b784346666c38704f5a46387a6237726558496b56774e525449555750716a5f33643266777178544b4147664b733d227d2c22726174696f6e616c65223a22696e206865742077696a6b6f7665726c6567222c22736f75726365223a22617069222c227061796c6f6164223a7b2274657874223a227365616c65643a76313a7072735f34373035623665623934376233323762313732616238663835326630313530663a3645705f665531676d513662457a4278686d637532454e3168474f474d424b667a7143592d6c6d453041537662783845743369613555684e67373852716846737138424b2d39756d222c22736f75726365223a227265736964656e7473222c22696e64696361746f72223a6e756c6c2c2276616c7565223a6e756c6c2c22706572736f6e616c223a747275657d2c226379636c65223a312c227374616765223a22616374227d', 5);


--
-- Data for Name: integrations; Type: TABLE DATA; Schema: wijklab_v1; Owner: -
--

INSERT INTO wijklab_v1.integrations VALUES ('enquete', 'oudestad', '\x9461e3c6ecf8ab0a564f0ee16d0c4e514c8ec7bf4df73ba5f90f4735d19b9a27af892b812c17b6f62fcd7096e15d1803d4ccd8ae3686652f99fd624ddc51a6afebc525ba7f1f8fd2dbc2f71977bf', NULL, NULL, '2026-12-02 01:12:14.13363+00', NULL, NULL);


--
-- Data for Name: people; Type: TABLE DATA; Schema: wijklab_v1; Owner: -
--

INSERT INTO wijklab_v1.people VALUES ('prs_5af0ca709cc478b890e74bb649eb9cbe', 'oudestad', 'sealed:v1:prs_5af0ca709cc478b890e74bb649eb9cbe:yjdh6hJeGPSnBwRdYQWJyW3A3f93Jf2r6-7AcOgZfrZez4JP0JBuzBShKF6Jfd696GC2iJdetGvT1o0zLA==', NULL, '2026-12-02 01:12:14.091816+00', NULL, NULL);
INSERT INTO wijklab_v1.people VALUES ('prs_4705b6eb947b327b172ab8f852f0150f', 'oudestad', 'sealed:v1:prs_4705b6eb947b327b172ab8f852f0150f:Svo1gqbKa0WkepsoGTxlf8zeyF9-0xCdLyYjxpM-xeG7ndbiYZWZErIwSuF85Z-tTFphBHr4MPrHgCsyV_FmZOxPics3_3pEcvrNnOZvcvo=', 'c9afc21fdfa14560bf0fb4789d4ae4894baf6dcbf1c788c9c9827ade6e506fd2', '2026-12-02 01:12:14.112121+00', NULL, NULL);
INSERT INTO wijklab_v1.people VALUES ('prs_b19df58dbe27dfec5cf945f0b4029e5c', 'oudestad', 'sealed:v1:prs_b19df58dbe27dfec5cf945f0b4029e5c:KS8Ai5IFPfHxBjynvd4VcyPW3L1CRA1-JF3_EISh7W4FvAMAeD6YspM-y7xuqXdH4-k1MFC3ikeeLw==', NULL, '2026-12-02 01:12:14.123026+00', NULL, NULL);


--
-- Data for Name: person_keys; Type: TABLE DATA; Schema: wijklab_v1; Owner: -
--

INSERT INTO wijklab_v1.person_keys VALUES ('prs_5af0ca709cc478b890e74bb649eb9cbe', '\x2f5abfb535b48e493344d232805b9ec549fc3f3db3750563f516bbfcdb8a1194', '2026-12-02 01:12:14.091816+00');
INSERT INTO wijklab_v1.person_keys VALUES ('prs_4705b6eb947b327b172ab8f852f0150f', '\x5bb022157f2ed8059aa3401e2a31c995187f6f1f995b77a5bd12faa9816f7aa2', '2026-12-02 01:12:14.112121+00');
INSERT INTO wijklab_v1.person_keys VALUES ('prs_b19df58dbe27dfec5cf945f0b4029e5c', '\xae90f25062eb9a48d586619acb5ff7a67dc87467a76cb4fbad06b60e4b8d01b9', '2026-12-02 01:12:14.123026+00');


--
-- Data for Name: read_models; Type: TABLE DATA; Schema: wijklab_v1; Owner: -
--

INSERT INTO wijklab_v1.read_models VALUES ('wijklab_v1_read', 'wijklab_v1_read_1', NULL, 1, '2026-12-02 01:12:14.285456+00', 2);


--
-- Data for Name: decisions; Type: TABLE DATA; Schema: wijklab_v1_read_1; Owner: -
--

INSERT INTO wijklab_v1_read_1.decisions VALUES (1, '78fc8a07-4719-5f65-b316-c982767b1c29', 'oudestad', 1, 'v1-start', 'start', 1, 'plan', '{"id": "prs_5af0ca709cc478b890e74bb649eb9cbe", "name": "Petra Oud", "role": "programme_manager"}', 'Bewoners vroegen om een buurtkamer.', '{"title": "Een proef uit versie 1", "themes": ["social_functioning"], "act_days": 90, "question": "Werkt het nog na de upgrade?", "municipality": "oudestad", "neighbourhood": {"code": "WK099901", "kind": "wijk", "name": "Oude Wijk"}, "residents_agenda": "Bewoners vroegen om een buurtkamer."}', 'api', '2026-12-02 01:12:14.149623+00', '{"actor.name": "prs_5af0ca709cc478b890e74bb649eb9cbe"}', '{}', '{prs_5af0ca709cc478b890e74bb649eb9cbe}');
INSERT INTO wijklab_v1_read_1.decisions VALUES (2, '78fc8a07-4719-5f65-b316-c982767b1c29', 'oudestad', 2, 'v1-plan', 'revise_plan', 1, 'plan', '{"id": "prs_5af0ca709cc478b890e74bb649eb9cbe", "name": "Petra Oud", "role": "programme_manager"}', 'in het wijkoverleg', '{"budget": [{"source": "sociaal domein", "amount_eur": "15000.00"}], "indicators": [{"name": "bezoekers per week", "target": "30"}], "description": "Een buurtkamer op dinsdag."}', 'api', '2026-12-02 01:12:14.158973+00', '{"actor.name": "prs_5af0ca709cc478b890e74bb649eb9cbe"}', '{}', '{prs_5af0ca709cc478b890e74bb649eb9cbe}');
INSERT INTO wijklab_v1_read_1.decisions VALUES (3, '78fc8a07-4719-5f65-b316-c982767b1c29', 'oudestad', 3, 'v1-endorse', 'endorse_plan', 1, 'plan', '{"id": "prs_4705b6eb947b327b172ab8f852f0150f", "name": "Rachid Oud", "role": "resident"}', 'bewonersavond: 21 van 25 voor', '{}', 'api', '2026-12-02 01:12:14.165612+00', '{"actor.name": "prs_4705b6eb947b327b172ab8f852f0150f"}', '{}', '{prs_4705b6eb947b327b172ab8f852f0150f}');
INSERT INTO wijklab_v1_read_1.decisions VALUES (4, '78fc8a07-4719-5f65-b316-c982767b1c29', 'oudestad', 4, 'v1-act', 'advance', 1, 'plan', '{"id": "prs_5af0ca709cc478b890e74bb649eb9cbe", "name": "Petra Oud", "role": "programme_manager"}', 'in het wijkoverleg', '{"to": "act"}', 'api', '2026-12-02 01:12:14.170365+00', '{"actor.name": "prs_5af0ca709cc478b890e74bb649eb9cbe"}', '{}', '{prs_5af0ca709cc478b890e74bb649eb9cbe}');
INSERT INTO wijklab_v1_read_1.decisions VALUES (5, '78fc8a07-4719-5f65-b316-c982767b1c29', 'oudestad', 5, 'v1-finding', 'record_finding', 1, 'act', '{"id": "prs_4705b6eb947b327b172ab8f852f0150f", "name": "Rachid Oud", "role": "resident"}', 'in het wijkoverleg', '{"text": "De buurtkamer is gezellig.", "value": null, "source": "residents", "personal": true, "indicator": null}', 'api', '2026-12-02 01:12:14.174244+00', '{"actor.name": "prs_4705b6eb947b327b172ab8f852f0150f", "payload.text": "prs_4705b6eb947b327b172ab8f852f0150f"}', '{}', '{prs_4705b6eb947b327b172ab8f852f0150f}');


--
-- Data for Name: experiments; Type: TABLE DATA; Schema: wijklab_v1_read_1; Owner: -
--

INSERT INTO wijklab_v1_read_1.experiments VALUES ('78fc8a07-4719-5f65-b316-c982767b1c29', 'oudestad', 'WK099901', 'Oude Wijk', 'wijk', 'Een proef uit versie 1', '{social_functioning}', 1, 'act', 'active', NULL, '2026-12-02 01:12:14.149623+00', '2026-12-02 01:12:14.174244+00', 5, '{"id": "78fc8a07-4719-5f65-b316-c982767b1c29", "plan": {"budget": [{"source": "sociaal domein", "amount_eur": "15000.00"}], "endorsed": true, "revision": 1, "indicators": [{"name": "bezoekers per week", "target": "30"}], "description": "Een buurtkamer op dinsdag.", "budget_total_eur": "15000.00"}, "cycle": 1, "stage": "act", "title": "Een proef uit versie 1", "status": "active", "themes": ["social_functioning"], "outcome": null, "version": 5, "act_days": 90, "question": "Werkt het nog na de upgrade?", "stage_due": false, "created_at": "2026-12-02T01:12:14.149623+00:00", "updated_at": "2026-12-02T01:12:14.174244+00:00", "municipality": "oudestad", "neighbourhood": {"code": "WK099901", "kind": "wijk", "name": "Oude Wijk"}, "stage_overdue": false, "residents_agenda": "Bewoners vroegen om een buurtkamer.", "stage_entered_at": "2026-12-02T01:12:14.170365+00:00", "lessons_this_cycle": 0, "findings_this_cycle": 1, "resident_findings_this_cycle": 1}');


--
-- Data for Name: lessons; Type: TABLE DATA; Schema: wijklab_v1_read_1; Owner: -
--



--
-- Data for Name: readmodels_tracking; Type: TABLE DATA; Schema: wijklab_v1_read_1; Owner: -
--

INSERT INTO wijklab_v1_read_1.readmodels_tracking VALUES ('__migration__', 1);
INSERT INTO wijklab_v1_read_1.readmodels_tracking VALUES ('Experiments', 5);


--
-- Name: access_records_id_seq; Type: SEQUENCE SET; Schema: wijklab_v1; Owner: -
--

SELECT pg_catalog.setval('wijklab_v1.access_records_id_seq', 1, true);


--
-- Name: experiments_events_notification_id_seq; Type: SEQUENCE SET; Schema: wijklab_v1; Owner: -
--

SELECT pg_catalog.setval('wijklab_v1.experiments_events_notification_id_seq', 5, true);


--
-- Name: access_records access_records_pkey; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.access_records
    ADD CONSTRAINT access_records_pkey PRIMARY KEY (id);


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);


--
-- Name: api_keys api_keys_token_sha256_key; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.api_keys
    ADD CONSTRAINT api_keys_token_sha256_key UNIQUE (token_sha256);


--
-- Name: experiments_events experiments_events_pkey; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.experiments_events
    ADD CONSTRAINT experiments_events_pkey PRIMARY KEY (originator_id, originator_version);


--
-- Name: integrations integrations_pkey; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.integrations
    ADD CONSTRAINT integrations_pkey PRIMARY KEY (name);


--
-- Name: people people_lookup_key; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.people
    ADD CONSTRAINT people_lookup_key UNIQUE (lookup);


--
-- Name: people people_pkey; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.people
    ADD CONSTRAINT people_pkey PRIMARY KEY (person_id);


--
-- Name: person_keys person_keys_pkey; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.person_keys
    ADD CONSTRAINT person_keys_pkey PRIMARY KEY (person_id);


--
-- Name: read_models read_models_pkey; Type: CONSTRAINT; Schema: wijklab_v1; Owner: -
--

ALTER TABLE ONLY wijklab_v1.read_models
    ADD CONSTRAINT read_models_pkey PRIMARY KEY (serving);


--
-- Name: decisions decisions_pkey; Type: CONSTRAINT; Schema: wijklab_v1_read_1; Owner: -
--

ALTER TABLE ONLY wijklab_v1_read_1.decisions
    ADD CONSTRAINT decisions_pkey PRIMARY KEY ("position");


--
-- Name: experiments experiments_pkey; Type: CONSTRAINT; Schema: wijklab_v1_read_1; Owner: -
--

ALTER TABLE ONLY wijklab_v1_read_1.experiments
    ADD CONSTRAINT experiments_pkey PRIMARY KEY (id);


--
-- Name: lessons lessons_pkey; Type: CONSTRAINT; Schema: wijklab_v1_read_1; Owner: -
--

ALTER TABLE ONLY wijklab_v1_read_1.lessons
    ADD CONSTRAINT lessons_pkey PRIMARY KEY ("position");


--
-- Name: readmodels_tracking readmodels_tracking_pkey; Type: CONSTRAINT; Schema: wijklab_v1_read_1; Owner: -
--

ALTER TABLE ONLY wijklab_v1_read_1.readmodels_tracking
    ADD CONSTRAINT readmodels_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: access_records_by_town; Type: INDEX; Schema: wijklab_v1; Owner: -
--

CREATE INDEX access_records_by_town ON wijklab_v1.access_records USING btree (municipality, id);


--
-- Name: experiments_events_notification_id_idx; Type: INDEX; Schema: wijklab_v1; Owner: -
--

CREATE UNIQUE INDEX experiments_events_notification_id_idx ON wijklab_v1.experiments_events USING btree (notification_id);


--
-- Name: decisions_by_experiment; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE UNIQUE INDEX decisions_by_experiment ON wijklab_v1_read_1.decisions USING btree (experiment_id, version);


--
-- Name: decisions_by_person; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX decisions_by_person ON wijklab_v1_read_1.decisions USING gin (people);


--
-- Name: experiments_by_neighbourhood; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX experiments_by_neighbourhood ON wijklab_v1_read_1.experiments USING btree (municipality, neighbourhood_code);


--
-- Name: experiments_by_theme; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX experiments_by_theme ON wijklab_v1_read_1.experiments USING gin (themes);


--
-- Name: experiments_by_time; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX experiments_by_time ON wijklab_v1_read_1.experiments USING btree (created_at DESC, id DESC);


--
-- Name: experiments_by_town; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX experiments_by_town ON wijklab_v1_read_1.experiments USING btree (municipality, created_at DESC, id DESC);


--
-- Name: lessons_by_theme; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX lessons_by_theme ON wijklab_v1_read_1.lessons USING gin (themes);


--
-- Name: lessons_by_town; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX lessons_by_town ON wijklab_v1_read_1.lessons USING btree (municipality, "position" DESC);


--
-- Name: lessons_search; Type: INDEX; Schema: wijklab_v1_read_1; Owner: -
--

CREATE INDEX lessons_search ON wijklab_v1_read_1.lessons USING gin (search);


--
-- PostgreSQL database dump complete
--

\unrestrict hUyRSSta2astbljHsazXJK2QhQLeFr2dSOS0LMfGp7lkcSIvPkTEFeyiYDVqTgJ

