"""The xtimer dialect: cron timers with an HTTP notify, in xtimer's ``{"code", "message", "data"}``."""
