using System.Data.Common;
using IntegrationHub.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace IntegrationHub.Data;

internal static class DataServiceCollectionExtensions
{
    /// <summary>The connection string used when <c>ConnectionStrings:Hub</c> is not set: a file under <c>data/</c>.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/integrationhub.db";

    public static WebApplicationBuilder AddHubDatabase(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var options = builder.Configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var connectionString = builder.Configuration.GetConnectionString("Hub");

        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                connectionString = PrepareSqlite(connectionString ?? DefaultSqliteConnectionString, builder.Environment.ContentRootPath);
                builder.Services.AddHubContext<SqliteHubDbContext>(o => o.UseSqlite(connectionString).AddInterceptors(new SqliteConnectionSettings(options.SqliteSynchronous)));
                break;
            case DatabaseProvider.Postgres:
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new StartupException("Database:Provider is Postgres but ConnectionStrings:Hub is empty. Set it, e.g. "
                        + "ConnectionStrings__Hub='Host=db;Database=integrationhub;Username=hub;Password=...'.");
                }
                connectionString = PreparePostgres(connectionString);
                builder.Services.AddHubContext<PostgresHubDbContext>(o => o.UseNpgsql(connectionString));
                break;
            default:
                throw new InvalidOperationException($"Unknown database provider {options.Provider}.");
        }

        builder.Services.AddSingleton(new HubConnectionString(options.Provider, connectionString, options.SqliteSynchronous));
        // A node that cannot reach its database is not healthy (/health), and says so to a request (503, not 500).
        builder.Services.AddHealthChecks().AddDbContextCheck<HubDbContext>("database");
        builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
        builder.Services.AddSingleton<SqliteWriteGate>();
        builder.Services.AddHostedService<SqliteCheckpointer>();
        builder.Services.AddHostedService<SchemaWatch>();
        return builder;
    }

    /// <summary>Makes a relative SQLite path absolute under the content root and creates its folder.</summary>
    private static string PrepareSqlite(string connectionString, string contentRoot)
    {
        var csb = Parse(() => new SqliteConnectionStringBuilder(connectionString), "an SQLite", "Data Source=data/integrationhub.db");
        if (csb.DataSource != ":memory:" && !string.IsNullOrEmpty(csb.DataSource))
        {
            var path = Path.GetFullPath(csb.DataSource, contentRoot);
            var folder = Path.GetDirectoryName(path)!;
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StartupException($"the folder {folder} of the SQLite database (ConnectionStrings:Hub) cannot be created: "
                    + $"{ex.Message} Create it and let the hub's user write to it, or set ConnectionStrings:Hub to a file in a folder it may write.", ex);
            }
            csb.DataSource = path;
        }
        // Writers wait for each other instead of failing with "database is locked".
        csb.DefaultTimeout = Math.Max(csb.DefaultTimeout, 30);
        csb.Pooling = true;
        return csb.ToString();
    }

    /// <summary>
    /// Settings for the hub's own statements, each unless the connection string sets it:
    /// <list type="bullet">
    /// <item>Npgsql's automatic preparation. The hub's hot statements (the enqueue, the claim, the outcomes) are a few
    /// texts executed thousands of times a second; parsed and planned each time, they cost PostgreSQL nearly twice the
    /// CPU per run (docs/performance.md).</item>
    /// <item>No JIT compilation (<c>-c jit=off</c> in the startup options). PostgreSQL compiles a statement whose
    /// estimated cost passes <c>jit_above_cost</c> to machine code at every execution: the claim passed it once a
    /// workspace had a thousand scenarios, and took 0.42 s instead of 11 ms. The hub's statements are short and gain
    /// nothing from it.</item>
    /// </list>
    /// </summary>
    private static string PreparePostgres(string connectionString)
    {
        var given = Parse(() => new DbConnectionStringBuilder { ConnectionString = connectionString }, "a PostgreSQL", PostgresExample);
        var builder = Parse(() => new NpgsqlConnectionStringBuilder(connectionString), "a PostgreSQL", PostgresExample);
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = AutoPreparedStatements;
        }
        if (builder.Options?.Contains("jit", StringComparison.OrdinalIgnoreCase) != true)
        {
            builder.Options = $"{builder.Options} -c jit=off".Trim();
        }
        return builder.ConnectionString;
    }

    private const string PostgresExample = "Host=db;Database=integrationhub;Username=hub;Password=...";

    /// <summary>
    /// Parses the connection string, or stops the start with a message naming the setting: the provider's own
    /// ("Connection string keyword 'data sourc' is not supported") does not say where the string came from.
    /// </summary>
    private static T Parse<T>(Func<T> parse, string kind, string example)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new StartupException($"ConnectionStrings:Hub is not {kind} connection string: {ex.Message} For example: {example}", ex);
        }
    }

    /// <summary>How many statements each PostgreSQL connection keeps prepared, the least recently used making way.</summary>
    private const int AutoPreparedStatements = 64;

    /// <summary>
    /// Registers the provider's context in a pool and exposes it as <see cref="HubDbContext"/>, both scoped
    /// and through <see cref="IDbContextFactory{HubDbContext}"/> for singletons such as workers.
    /// </summary>
    private static void AddHubContext<TContext>(this IServiceCollection services, Action<DbContextOptionsBuilder> configure)
        where TContext : HubDbContext
    {
        services.AddPooledDbContextFactory<TContext>(options =>
        {
            configure(options);
            // EF logs a failed command, connection, query or save as an Error with the exception, then throws that exception to the
            // code that ran it, which logs it again (a request's through DatabaseUnavailableHandler, in one line; a
            // background loop once per outage). A PostgreSQL outage wrote every stack trace twice, many a second.
            options.ConfigureWarnings(warnings => warnings.Log(
                (RelationalEventId.CommandError, LogLevel.Debug),
                (RelationalEventId.ConnectionError, LogLevel.Debug),
                (CoreEventId.QueryIterationFailed, LogLevel.Debug),
                (CoreEventId.SaveChangesFailed, LogLevel.Debug),
                // The run history counts its matches up to a limit (RunQueries), a Take without an order on purpose:
                // any 10,000 matches count the same. EF warned at every page; every query that pages orders.
                (CoreEventId.RowLimitingOperationWithoutOrderByWarning, LogLevel.Debug)));
        });
        services.AddSingleton<IDbContextFactory<HubDbContext>, ProviderContextFactory<TContext>>();
        services.AddScoped<HubDbContext>(sp => sp.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext());
    }

    private sealed class ProviderContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<HubDbContext>
        where TContext : HubDbContext
    {
        public HubDbContext CreateDbContext() => inner.CreateDbContext();
    }
}

/// <summary>The resolved provider and connection string, for code that talks to the database without EF (the queue's hot path).</summary>
internal sealed record HubConnectionString(DatabaseProvider Provider, string Value, SqliteSynchronous SqliteSynchronous = SqliteSynchronous.Normal);
