-- Run once by the official postgres image, on the first start with an empty data volume
-- (mounted at /docker-entrypoint-initdb.d by docker-compose.yml).
-- Each service owns one database on the shared server (DATABASE_URL names the server; the
-- service uses mot_cua_<service>); no service reads another's. Their tables come from each
-- service's own migrations at start-up, not from here.
CREATE DATABASE mot_cua_intake;
CREATE DATABASE mot_cua_processing;
CREATE DATABASE mot_cua_payment;
CREATE DATABASE mot_cua_postal;
CREATE DATABASE mot_cua_notification;
CREATE DATABASE mot_cua_reporting;
