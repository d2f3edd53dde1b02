using System.Security.Cryptography;
using IntegrationHub.Data;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>
/// A fresh, empty database of one provider for one test. A PostgreSQL one comes with the <c>Secrets:Key</c> every hub
/// started on it is given (nodes of one database share their key, as they must); an SQLite hub makes its key file
/// beside the database file instead, as it does without the setting.
/// </summary>
internal sealed record TestDatabase(DatabaseProvider Provider, string ConnectionString, string? SecretsKey = null)
{
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => new TestDatabase(provider,
            $"Data Source={Path.Combine(Path.GetTempPath(), "hub-test-" + Guid.NewGuid().ToString("N") + ".db")}"),
        DatabaseProvider.Postgres => new TestDatabase(provider, await (await PostgresServer.GetAsync()).CreateDatabaseAsync(), NewSecretsKey()),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    /// <summary>A value for <c>Secrets:Key</c>: the base64 of 32 random bytes.</summary>
    public static string NewSecretsKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
