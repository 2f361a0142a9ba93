#!/bin/sh
# Container entrypoint: replace this shell with the service process (`exec`), so that it runs as
# PID 1 and gets `docker stop`'s SIGTERM directly: the watcher stops its observer cleanly and a
# Celery worker does a warm shutdown (finishes its tasks) instead of being killed after the grace time.
set -eu

# Docker secrets for programs that read only a variable (Flower and Celery's CELERY_BROKER_URL):
# VAR_FILE names a file, VAR gets its content. klantprofielen reads its *_FILE settings itself.
file_env() {
    eval "secret_file=\${${1}_FILE:-}"
    if [ -n "$secret_file" ]; then
        value=$(cat "$secret_file")
        export "$1=$value"
        unset "${1}_FILE"
    fi
}
file_env CELERY_BROKER_URL
file_env FLOWER_BASIC_AUTH

if [ "$#" -eq 0 ]; then
    set -- --help
fi

case "$1" in
    -*|watch|worker|run|health|status|backfill|parse|reports|alerts|export|db|files|requeue|serve)
        exec klantprofielen "$@" ;;
    *)
        # Any other program in the image, e.g. `celery flower` for the monitoring profile.
        exec "$@" ;;
esac
