using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
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
                    throw new InvalidOperationException("Database:Provider is Postgres but ConnectionStrings:Hub is empty.");
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
        return builder;
    }

    /// <summary>Makes a relative SQLite path absolute under the content root and creates its folder.</summary>
    private static string PrepareSqlite(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource != ":memory:" && !string.IsNullOrEmpty(csb.DataSource))
        {
            var path = Path.GetFullPath(csb.DataSource, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
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
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
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

    /// <summary>How many statements each PostgreSQL connection keeps prepared, the least recently used making way.</summary>
    private const int AutoPreparedStatements = 64;

    /// <summary>
    /// Registers the provider's context in a pool and exposes it as <see cref="HubDbContext"/>, both scoped
    /// and through <see cref="IDbContextFactory{HubDbContext}"/> for singletons such as workers.
    /// </summary>
    private static void AddHubContext<TContext>(this IServiceCollection services, Action<DbContextOptionsBuilder> configure)
        where TContext : HubDbContext
    {
        services.AddPooledDbContextFactory<TContext>(configure);
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
public sealed record HubConnectionString(DatabaseProvider Provider, string Value, SqliteSynchronous SqliteSynchronous = SqliteSynchronous.Normal);
