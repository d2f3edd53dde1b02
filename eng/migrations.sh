#!/usr/bin/env bash
# Migrations of both providers from the current model. Hubs in use hold InitialCreate, so changes come as new
# migrations:
#   eng/migrations.sh add <Name>
# Without arguments it recreates InitialCreate alone, which only a model no database has yet may do.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
project=src/IntegrationHub/IntegrationHub.csproj
mode=${1:-reset}
name=${2:-InitialCreate}
if [ "$mode" = reset ]; then
  rm -rf src/IntegrationHub/Data/Migrations
fi
dotnet build "$project" -v q -nologo >/dev/null
for provider in Sqlite Postgres; do
  dotnet ef migrations add "$name" --no-build --project "$project" \
    --context "${provider}HubDbContext" --output-dir "Data/Migrations/$provider"
done
dotnet build "$project" -v q -nologo >/dev/null
