using IntegrationHub.Data;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>A fresh, empty database of one provider for one test.</summary>
internal sealed record TestDatabase(DatabaseProvider Provider, string ConnectionString)
{
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => new TestDatabase(provider,
            $"Data Source={Path.Combine(Path.GetTempPath(), "hub-test-" + Guid.NewGuid().ToString("N") + ".db")}"),
        DatabaseProvider.Postgres => new TestDatabase(provider, await (await PostgresServer.GetAsync()).CreateDatabaseAsync()),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };
}
