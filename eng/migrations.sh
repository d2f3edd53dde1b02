#!/usr/bin/env bash
# Recreates the initial migration of both providers from the current model.
# Until the first release there is one migration per provider; after it, add migrations instead:
#   eng/migrations.sh add <Name>
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
