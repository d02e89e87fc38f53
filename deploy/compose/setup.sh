#!/usr/bin/env bash
# Make the two regions and one worker token per region on the compose PostgreSQL, and write them to .env for
# compose.yaml. Run once from this directory: ./setup.sh && docker compose up -d --build
set -euo pipefail
cd "$(dirname "$0")"
docker compose up -d --wait postgres
run() { docker compose run --rm --no-deps -e DATABASE_URL=postgres://beacon:beacon@postgres:5432/beacon server-a "$@"; }
run migrate
run regions create eu-west || true
run regions create us-east || true
eu=$(run -o json tokens create --name worker-eu --scope worker --region eu-west | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
us=$(run -o json tokens create --name worker-us --scope worker --region us-east | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
umask 077
printf 'EU_WORKER_TOKEN=%s\nUS_WORKER_TOKEN=%s\n' "$eu" "$us" > .env
echo "wrote .env (worker tokens, readable by you only); now: docker compose up -d --build"
