using IntegrationHub.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>
/// The real hub (its Program, all of it) on Kestrel on a free loopback port, with a fresh database.
/// Tests talk to it over real HTTP.
/// </summary>
internal sealed class HubHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    private HubHost(TestDatabase database, Dictionary<string, string?> settings)
    {
        Database = database;
        _settings = settings;
        UseKestrel(0);
    }

    public TestDatabase Database { get; }

    /// <summary>The first admin every test hub is bootstrapped with (Bootstrap:* settings).</summary>
    public const string AdminEmail = "admin@hub.test";
    public const string AdminPassword = "Admin-Passw0rd!";

    /// <summary>A personal access token of <see cref="AdminEmail"/>, provisioned through Bootstrap:AdminToken.</summary>
    public static readonly string AdminToken = "ih_test-admin-" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Pass as (or merge into) the settings of <see cref="StartAsync"/> to start a hub without the bootstrapped admin,
    /// as a new installation starts: no user, and the one-time setup link printed instead.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> WithoutBootstrapAdmin = new Dictionary<string, string?>
    {
        ["Bootstrap:AdminEmail"] = null,
        ["Bootstrap:AdminPassword"] = null,
        ["Bootstrap:AdminToken"] = null,
    };

    /// <summary>Where the hub listens, e.g. http://127.0.0.1:40123/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts a hub on a new database of <paramref name="provider"/>; <paramref name="settings"/> override configuration.</summary>
    public static async Task<HubHost> StartAsync(DatabaseProvider provider, IReadOnlyDictionary<string, string?>? settings = null) =>
        Start(await TestDatabase.CreateAsync(provider), settings);

    /// <summary>Starts a hub on an existing database, for tests of several nodes or of a restart.</summary>
    public static HubHost Start(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Database:Provider"] = database.Provider.ToString(),
            ["ConnectionStrings:Hub"] = database.ConnectionString,
            ["Bootstrap:AdminEmail"] = AdminEmail,
            ["Bootstrap:AdminPassword"] = AdminPassword,
            ["Bootstrap:AdminToken"] = AdminToken,
        };
        if (database.SecretsKey is not null)
        {
            all["Secrets:Key"] = database.SecretsKey;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = new HubHost(database, all);
        host.StartServer();
        var addresses = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        host.BaseAddress = new Uri(addresses.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return host;
    }

    /// <summary>A plain HttpClient to the hub: no cookies kept, no redirects followed.</summary>
    public HttpClient CreateHttpClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        BaseAddress = BaseAddress,
    };

    /// <summary>An HttpClient that sends <paramref name="token"/> as a bearer token.</summary>
    public HttpClient CreateHttpClient(string token)
    {
        var client = CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>An HttpClient authenticated as the bootstrapped installation admin.</summary>
    public HttpClient CreateAdminClient() => CreateHttpClient(AdminToken);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Urls", "http://127.0.0.1:0");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
