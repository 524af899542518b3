"""Real sending: the engine of :mod:`sessim.engine` driven by the wall clock over SMTP.

``sessim send`` reads a scenario's ``sending`` section (:mod:`.config`), a
recipients CSV and a message file (:mod:`.recipients`), keeps a durable outbox
in SQLite (:mod:`.state`), signs with DKIM (:mod:`.dkim`), talks SMTP
(:mod:`.smtp_transport`) and writes SES-format event records (:mod:`.ses_events`);
:mod:`.job` is the loop that ties them to the engine.
"""
