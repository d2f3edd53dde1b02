using IntegrationHub.Data;
using IntegrationHub.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Secrets;

internal static class SecretsExtensions
{
    public static WebApplicationBuilder AddSecrets(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecretsOptions>, SecretsOptionsValidator>();
        services.AddSingleton(LoadKey);
        services.AddSingleton(services => new PreviousSecretsKeys(
            services.GetRequiredService<SecretsKey>(),
            services.GetRequiredService<IOptions<SecretsOptions>>().Value.PreviousKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(ParsePrevious)));
        services.AddSingleton<SecretValues>();
        services.AddSingleton<IReencryptsSecrets, KeyRingReencryption>();
        return builder;
    }

    /// <summary>
    /// Reads the key, or on SQLite without <c>Secrets:Key</c> makes its key file, now: after the settings were checked
    /// and the database opened (a wrong setting leaves no key file behind, and an unwritable folder is reported as the
    /// database's), before anything encrypts or decrypts, so that a key file it cannot read stops the start.
    /// </summary>
    public static WebApplication LoadSecretsKey(this WebApplication app)
    {
        app.Services.GetRequiredService<SecretsKey>();
        return app;
    }

    /// <summary>Has Data Protection encrypt the keys it stores with <see cref="SecretsKey"/> (<see cref="KeyRingXmlEncryptor"/>).</summary>
    public static IDataProtectionBuilder ProtectKeysWithSecretsKey(this IDataProtectionBuilder builder)
    {
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<SecretsKey>((options, key) => options.XmlEncryptor = new KeyRingXmlEncryptor(key));
        return builder;
    }

    /// <summary>Whether the SQLite database holds a Data Protection key or a header value encrypted with a Secrets:Key.</summary>
    private static bool HoldsEncryptedSecrets(string connectionString)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT EXISTS (SELECT 1 FROM "DataProtectionKeys" WHERE "Xml" LIKE '%{KeyRingXmlEncryptor.ElementName}%')
                OR EXISTS (SELECT 1 FROM "Scenarios" WHERE "Source" LIKE '%{SecretValues.Prefix}%' OR "Target" LIKE '%{SecretValues.Prefix}%')
            """;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    // Checked at start by SecretsOptionsValidator; checked again here for a host that skipped that.
    private static SecretsKey ParsePrevious(string text) =>
        SecretsKey.TryParse(text, out var key, out var problem)
            ? key
            : throw new StartupException($"A key of Secrets:PreviousKeys is not a key: {problem}, and {SecretsKey.Expected}.");

    private static SecretsKey LoadKey(IServiceProvider services)
    {
        // Checked at start by SecretsOptionsValidator; checked again here for a host that skipped that.
        var configured = services.GetRequiredService<IOptions<SecretsOptions>>().Value.Key;
        var database = services.GetRequiredService<HubConnectionString>();
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return SecretsKey.TryParse(configured, out var key, out var problem)
                ? key
                : throw new StartupException($"Secrets:Key is not a key: {problem}, and {SecretsKey.Expected}.");
        }
        if (database.Provider == DatabaseProvider.Postgres)
        {
            throw new StartupException(SecretsOptionsValidator.MissingOnPostgres);
        }
        // An in-memory database ends with the process, and its secrets with it.
        if (SecretsKeyFile.PathFor(database.Value) is not { } path)
        {
            return SecretsKey.CreateRandom();
        }
        // A new key for a database that holds secrets would make every one of them unreadable, silently: the key file
        // was lost (not restored with the database), and the operator has to bring it back.
        if (!File.Exists(path) && HoldsEncryptedSecrets(database.Value))
        {
            throw new StartupException($"the key file {path} is missing, but the database holds secrets encrypted with a key: restore "
                + "the key file from your backup (or set Secrets:Key to the key it held). A new key would read none of them: every "
                + "header value of HTTP sources and targets, and every sign-in, would be lost.");
        }
        return SecretsKeyFile.LoadOrCreate(path, services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecretsKeyFile)));
    }
}
