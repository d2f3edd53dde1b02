using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Tests.Identity;

/// <summary>
/// A real OpenID Connect metadata and JWKS endpoint on 127.0.0.1, shaped like Entra ID's
/// (<c>{instance}{tenant}/v2.0/.well-known/openid-configuration</c>), that signs RS256 tokens with its own key.
/// </summary>
internal sealed class LocalIdentityProvider : IAsyncDisposable
{
    public const string TenantId = "7f3c1c2e-0000-4000-8000-00000000a11d";
    public const string ClientId = "0b5e2a9c-0000-4000-8000-00000000c11e";
    public const string KeyId = "local-signing-key";

    /// <summary>A group object id tests configure as AzureAd:Group.</summary>
    public const string Group = "5d1c0b6e-0000-4000-8000-0000000a110e";

    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);

    /// <summary>Authorization codes handed out by <see cref="IssueCode"/>, with the claims their id_token will carry.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<string, object>> _codes = new();

    private LocalIdentityProvider(WebApplication app) => _app = app;

    /// <summary>The AzureAd:Instance to configure, e.g. http://127.0.0.1:40123/.</summary>
    public string Instance { get; private set; } = "";

    public string Issuer => $"{Instance}{TenantId}/v2.0";

    /// <summary>The hub settings that point AzureAd at this provider, plus <paramref name="extra"/>.</summary>
    public Dictionary<string, string?> HubSettings(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = Instance,
            ["AzureAd:TenantId"] = TenantId,
            ["AzureAd:ClientId"] = ClientId,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    public static async Task<LocalIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var provider = new LocalIdentityProvider(app);
        app.MapGet($"/{TenantId}/v2.0/.well-known/openid-configuration", () => Results.Text(provider.Metadata(), "application/json"));
        app.MapGet($"/{TenantId}/discovery/v2.0/keys", () => Results.Text(provider.Keys(), "application/json"));
        app.MapPost($"/{TenantId}/oauth2/v2.0/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            return provider._codes.TryRemove(form["code"].ToString(), out var claims)
                ? Results.Json(new Dictionary<string, string> { ["id_token"] = provider.CreateToken(extraClaims: claims), ["access_token"] = "opaque-access-token", ["token_type"] = "Bearer" })
                : Results.BadRequest(new { error = "invalid_grant" });
        }).DisableAntiforgery();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        provider.Instance = address.TrimEnd('/') + "/";
        return provider;
    }

    /// <summary>A token signed with this provider's key; the parameters make the forgeries the tests need.</summary>
    public string CreateToken(
        string[]? groups = null, string? issuer = null, string? audience = null, DateTime? expires = null, RSA? signWith = null,
        IReadOnlyDictionary<string, object>? extraClaims = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["oid"] = Guid.NewGuid().ToString(),
            ["tid"] = TenantId,
            ["preferred_username"] = "someone@contoso.test",
        };
        if (groups is not null)
        {
            claims["groups"] = groups;
        }
        foreach (var (name, value) in extraClaims ?? new Dictionary<string, object>())
        {
            claims[name] = value;
        }

        var expiry = expires ?? now.AddMinutes(30);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? ClientId,
            IssuedAt = expiry.AddMinutes(-60),
            NotBefore = expiry.AddMinutes(-60),
            Expires = expiry,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signWith ?? _key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>
    /// What the authorize endpoint would do after the person signed in: a one-time code whose id_token carries
    /// <paramref name="nonce"/> (echoed from the sign-in request) and <paramref name="groups"/>.
    /// </summary>
    public string IssueCode(string nonce, string[]? groups)
    {
        var code = Guid.NewGuid().ToString("N");
        var claims = new Dictionary<string, object> { ["nonce"] = nonce, ["sub"] = "local-subject" };
        if (groups is not null)
        {
            claims["groups"] = groups;
        }
        _codes[code] = claims;
        return code;
    }

    /// <summary>The same claims as a valid token, but with <c>alg: none</c> and no signature.</summary>
    public string CreateUnsignedToken()
    {
        var signed = CreateToken();
        var payload = signed.Split('.')[1];
        var header = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}"));
        return $"{header}.{payload}.";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _key.Dispose();
    }

    private string Metadata() => $$"""
        {
          "issuer": "{{Issuer}}",
          "authorization_endpoint": "{{Instance}}{{TenantId}}/oauth2/v2.0/authorize",
          "token_endpoint": "{{Instance}}{{TenantId}}/oauth2/v2.0/token",
          "jwks_uri": "{{Instance}}{{TenantId}}/discovery/v2.0/keys",
          "response_types_supported": ["code", "id_token", "code id_token"],
          "subject_types_supported": ["pairwise"],
          "id_token_signing_alg_values_supported": ["RS256"]
        }
        """;

    private string Keys()
    {
        var parameters = _key.ExportParameters(includePrivateParameters: false);
        return $$"""
            { "keys": [ { "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "{{KeyId}}",
              "n": "{{Base64UrlEncoder.Encode(parameters.Modulus)}}", "e": "{{Base64UrlEncoder.Encode(parameters.Exponent)}}" } ] }
            """;
    }
}
